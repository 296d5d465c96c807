"""HTTP routes of the accounts domain: thin; parse, authorize (by ``opt``), call the service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import quote

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from accounts import consent, data_document, rights, service, skill_levels, staff
from accounts.notices import NoticeKind
from accounts.privacy import PersonalData
from accounts.ratelimit import LOGIN_LIMIT, PASSWORD_LIMIT
from accounts.rules import ALL_ROLES, INDUSTRIES, Role
from accounts.schemas import (
    AuditPage,
    CurrentUser,
    DataRequestIn,
    DataRequestOut,
    EnterpriseIn,
    EnterpriseOut,
    IndustryOut,
    LoginIn,
    MeOut,
    MyData,
    NoticeOut,
    PasswordChangeIn,
    PeoplePage,
    PersonIn,
    PersonOut,
    PersonPatch,
    RequestAnswerIn,
    SkillLevelsOut,
    StaffCreated,
    StaffIn,
    UnionIn,
    UnionOut,
    UnsealIn,
    UserIn,
    UserOut,
    UserPatch,
    UserStateIn,
)
from accounts.security import PASSWORD_CHANGE, PUBLIC, actor_of, allow
from accounts.sessions import SESSION_COOKIE, end_session, session_cookie, start_session, user_of_token
from core.errors import DomainError
from core.openapi import errors
from core.pages import page
from settings import load_settings

Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0)]

CurrentRequest = Request[CurrentUser, Any, Any]
STALE = errors({409: "版本已过期（他人已修改）：code = stale_version，detail 给出当前版本"})


class AuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]

    @post(
        "/login",
        opt=PUBLIC,
        status_code=200,
        guards=[LOGIN_LIMIT],
        responses=errors({401: "用户名或密码错误：code = bad_credentials"}),
        summary="Log in with username and password; sets the session cookie",
    )
    async def login(self, data: JSONBody[LoginIn]) -> Response[MeOut]:
        user = await service.authenticate(data.username, data.password)
        if user is None:
            raise DomainError("用户名或密码错误", code="bad_credentials", status=401)
        token = await start_session(user.id)
        response = Response(staff.me_out(user, await staff.must_change(user.id)))
        response.set_cookie(session_cookie(token))
        return response

    @post("/logout", opt={**allow(*ALL_ROLES), **PASSWORD_CHANGE}, status_code=204, summary="End the session")
    async def logout(self, request: CurrentRequest) -> Response[None]:
        await end_session(request.auth)
        response: Response[None] = Response(None, status_code=204)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @get("/me", opt=PUBLIC, summary="Who is logged in: the user, or null for a visitor (never a 401)")
    async def me(self, request: Request[Any, Any, Any]) -> MeOut | None:
        # Public so that a visitor's page logs no 401; the cookie is read here since the auth middleware
        # skips public routes.
        token = request.cookies.get(SESSION_COOKIE)
        user = await user_of_token(token) if token else None
        return None if user is None else staff.me_out(user, await staff.must_change(user.id))

    @post(
        "/password",
        opt={**allow(*ALL_ROLES), **PASSWORD_CHANGE},
        status_code=204,
        guards=[PASSWORD_LIMIT],
        responses=errors({422: "原密码不正确或新密码不符合要求（field 指明）"}),
        summary="Change my own password (the old one required); my other sessions end",
    )
    async def change_password(self, request: CurrentRequest, data: JSONBody[PasswordChangeIn]) -> None:
        await staff.change_own_password(
            actor_of(request.user), request.user.id, data.old_password, data.new_password, request.auth
        )


@get(
    "/api/industries",
    opt=allow(Role.ORGANIZER, Role.UNION_OFFICER),
    tags=["accounts"],
    summary="The industries an enterprise, a competition or a programme's quota names: code and Chinese name",
)
async def list_industries() -> list[IndustryOut]:
    return [IndustryOut(code=code, name=name) for code, name in INDUSTRIES.items()]


class UnionController(Controller):
    path = "/api/unions"
    tags = ["accounts"]
    opt = allow(Role.ORGANIZER)

    @get("/", opt=allow(Role.ORGANIZER, Role.UNION_OFFICER), summary="List grassroots unions")
    async def list_unions(self) -> list[UnionOut]:
        return await service.list_unions()

    @post("/", summary="Create a grassroots union or a park federation")
    async def create_union(self, request: CurrentRequest, data: JSONBody[UnionIn]) -> UnionOut:
        return await service.create_union(actor_of(request.user), data)


class EnterpriseController(Controller):
    path = "/api/enterprises"
    tags = ["accounts"]
    opt = allow(Role.ORGANIZER)

    @get("/", opt=allow(Role.ORGANIZER, Role.UNION_OFFICER), summary="List enterprises")
    async def list_enterprises(self) -> list[EnterpriseOut]:
        return await service.list_enterprises()

    @post("/", summary="Register an enterprise (credit code validated)")
    async def create_enterprise(self, request: CurrentRequest, data: JSONBody[EnterpriseIn]) -> EnterpriseOut:
        return await service.create_enterprise(actor_of(request.user), data)


class PersonController(Controller):
    path = "/api/people"
    tags = ["accounts"]
    opt = allow(Role.ORGANIZER, Role.UNION_OFFICER)

    @get("/", summary="List people (a union officer sees their own union's members, masked)")
    async def list_people(
        self,
        request: CurrentRequest,
        union_id: FromQuery[int | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=50)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> PeoplePage:
        total, items = await service.list_people(
            request.user, union_id=union_id, query=q, limit=limit, offset=offset
        )
        return PeoplePage(total=total, limit=limit, offset=offset, items=items)

    @post("/", summary="Register a person (ID number and mobile validated, stored sealed)")
    async def create_person(self, request: CurrentRequest, data: JSONBody[PersonIn]) -> PersonOut:
        return await service.create_person(actor_of(request.user), request.user, data)

    @get("/{person_id:int}", opt=allow(*ALL_ROLES), summary="One person, ID and mobile masked")
    async def get_person(self, request: CurrentRequest, person_id: FromPath[int]) -> PersonOut:
        return await service.get_person(request.user, person_id)

    @post(
        "/{person_id:int}/unseal",
        opt=allow(Role.ORGANIZER),
        status_code=200,
        summary="One person with the full ID and mobile numbers; the stated purpose is audited",
    )
    async def reveal_person(
        self, request: CurrentRequest, person_id: FromPath[int], data: JSONBody[UnsealIn]
    ) -> PersonOut:
        return await service.reveal_person(actor_of(request.user), request.user, person_id, data)

    @get(
        "/{person_id:int}/skill-levels",
        opt=allow(*ALL_ROLES),
        summary="A person's skill level now and its history (who may read the person may read it)",
    )
    async def skill_level_history(self, request: CurrentRequest, person_id: FromPath[int]) -> SkillLevelsOut:
        await service.get_person(request.user, person_id)  # 404 unless the reader may see the person
        return await skill_levels.history(person_id)

    @patch("/{person_id:int}", summary="Update a person; stale version gets 409", responses=STALE)
    async def update_person(
        self, request: CurrentRequest, person_id: FromPath[int], data: JSONBody[PersonPatch]
    ) -> PersonOut:
        return await service.update_person(actor_of(request.user), request.user, person_id, data)


class UserController(Controller):
    path = "/api/users"
    tags = ["accounts"]
    opt = allow(Role.ORGANIZER)

    @get("/", summary="List users (by role, active or not)")
    async def list_users(
        self, role: FromQuery[Role | None] = None, active: FromQuery[bool | None] = None
    ) -> list[UserOut]:
        return await staff.list_users(role, active)

    @post(
        "/staff",
        summary="Create a union officer, expert or judge; the temporary password is in the answer, once",
        responses=errors({409: "用户名已存在：code = invalid_account"}),
    )
    async def create_staff(self, request: CurrentRequest, data: JSONBody[StaffIn]) -> StaffCreated:
        return (await staff.create_staff(actor_of(request.user), [data]))[0]

    @post("/{user_id:int}/deactivate", status_code=200, summary="Deactivate: log-in refused, sessions end")
    async def deactivate(
        self, request: CurrentRequest, user_id: FromPath[int], data: JSONBody[UserStateIn]
    ) -> UserOut:
        return await staff.set_active(actor_of(request.user), user_id, False, data)

    @post("/{user_id:int}/reactivate", status_code=200, summary="Reactivate a deactivated account")
    async def reactivate(
        self, request: CurrentRequest, user_id: FromPath[int], data: JSONBody[UserStateIn]
    ) -> UserOut:
        return await staff.set_active(actor_of(request.user), user_id, True, data)

    @post(
        "/{user_id:int}/reset-password",
        status_code=200,
        summary="A new temporary password, shown once; to be changed at the next log-in; sessions end",
    )
    async def reset_password(
        self, request: CurrentRequest, user_id: FromPath[int], data: JSONBody[UserStateIn]
    ) -> StaffCreated:
        return await staff.reset_password(actor_of(request.user), user_id, data)

    @post("/", summary="Create a user of any role")
    async def create_user(self, request: CurrentRequest, data: JSONBody[UserIn]) -> UserOut:
        return await service.create_user(actor_of(request.user), data)

    @patch("/{user_id:int}", summary="Rename, deactivate or reset the password of a user", responses=STALE)
    async def update_user(
        self, request: CurrentRequest, user_id: FromPath[int], data: JSONBody[UserPatch]
    ) -> UserOut:
        return await service.update_user(actor_of(request.user), user_id, data)


class AuditController(Controller):
    path = "/api/audit"
    tags = ["accounts"]
    opt = allow(Role.ORGANIZER)

    @get("/", summary="The audit log, newest first, filtered")
    async def list_audit(
        self,
        entity: Annotated[str | None, QueryParameter(max_length=40)] = None,
        entity_id: Annotated[str | None, QueryParameter(max_length=40)] = None,
        action: Annotated[str | None, QueryParameter(max_length=60)] = None,
        actor_id: FromQuery[int | None] = None,
        since: FromQuery[dt.datetime | None] = None,
        until: FromQuery[dt.datetime | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> AuditPage:
        return await service.list_audit(
            entity=entity,
            entity_id=entity_id,
            action=action,
            actor_id=actor_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )


class PrivacyController(Controller):
    """Notices before collection; a person's own data and requests; organizers answer the requests."""

    path = "/api"
    tags = ["privacy"]
    opt = allow(*ALL_ROLES)

    @get(
        "/privacy/notices/{kind:str}", opt=PUBLIC, summary="The privacy notice a form shows, with its version"
    )
    async def notice(self, kind: FromPath[NoticeKind]) -> NoticeOut:
        notice = consent.current_notice(kind)
        return NoticeOut(
            kind=notice.kind,
            version=notice.version,
            title=notice.title,
            sections=[{"heading": s.heading, "body": s.body} for s in notice.sections],
            sensitive_consent=notice.sensitive_consent,
            attestation=notice.attestation,
            retention_days=load_settings().retention_days,
        )

    @get("/my/data", summary="Everything the platform holds about me (numbers masked)")
    async def my_data(self, request: CurrentRequest, personal_data: NamedDependency[PersonalData]) -> MyData:
        return await rights.my_data(actor_of(request.user), request.user, personal_data, full=False)

    @get(
        "/my/data/download",
        summary="Download everything held about me: JSON or a readable page, full numbers (audited)",
    )
    async def download(
        self,
        request: CurrentRequest,
        personal_data: NamedDependency[PersonalData],
        format_: Annotated[Literal["json", "html"], QueryParameter(name="format")] = "json",
    ) -> Response[bytes]:
        data = await rights.my_data(actor_of(request.user), request.user, personal_data, full=True)
        content, media_type = data_document.download(data, format_)
        stamp = data.generated_at.strftime("%Y%m%d")
        filename = quote(f"我的个人信息-{stamp}.{format_}")
        headers = {"content-disposition": f"attachment; filename*=UTF-8''{filename}"}
        return Response(content, media_type=media_type, headers=headers)

    @get("/my/requests", summary="My correction and deletion requests")
    async def my_requests(self, request: CurrentRequest) -> list[DataRequestOut]:
        return await rights.list_requests(person_id=rights.own_person_id(request.user))

    @post("/my/requests", summary="Ask for a correction or the deletion of my personal data")
    async def file_request(self, request: CurrentRequest, data: JSONBody[DataRequestIn]) -> DataRequestOut:
        return await rights.file_request(actor_of(request.user), request.user, data)

    @get("/privacy/requests", opt=allow(Role.ORGANIZER), summary="People's requests, newest first")
    async def list_requests(
        self, status: FromQuery[Literal["pending", "completed", "refused"] | None] = None
    ) -> list[DataRequestOut]:
        return await rights.list_requests(status=status)

    @post(
        "/privacy/requests/{request_id:int}/answer",
        opt=allow(Role.ORGANIZER),
        status_code=200,
        summary="Complete (apply the correction, or erase) or refuse a request; audited",
    )
    async def answer(
        self,
        request: CurrentRequest,
        request_id: FromPath[int],
        data: JSONBody[RequestAnswerIn],
        personal_data: NamedDependency[PersonalData],
    ) -> DataRequestOut:
        return await rights.answer_request(actor_of(request.user), request_id, data, personal_data)


PAGES = [
    page("/my/data", "my-data.html", "My personal data: see, download, correct, delete"),
    page("/organizer/privacy", "organizer-privacy.html", "Organizers answer people's data requests"),
    page("/organizer/accounts", "organizer-accounts.html", "Organizers: staff accounts (账号管理)"),
    page("/account/password", "account-password.html", "Change my password (修改密码)"),
]

ROUTES = [
    *PAGES,
    AuthController,
    list_industries,
    PrivacyController,
    UnionController,
    EnterpriseController,
    PersonController,
    UserController,
    AuditController,
]
