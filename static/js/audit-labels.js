// 审计日志的中文名称: every action code the code base writes (accounts.audit.record), the kinds of record
// it names, and the fields of the before / after values. tests/browser/test_audit_log.py checks that every
// action written anywhere in the Python code has a name here.
"use strict";

const AuditLabels = (() => {
  const ACTIONS = {
    // 账号与组织
    "demo.load": "载入演示数据",
    "union.create": "新建基层工会",
    "enterprise.create": "登记企业",
    "person.create": "登记职工",
    "person.update": "修改职工信息",
    "person.promote": "晋升职业技能等级",
    "promotion.confirm": "确认技能等级晋升名单",
    "promotion.export_full": "导出晋升名单（含证件号，报人社部门）",
    "team.create": "新建参赛团队",
    "team.update": "修改参赛团队",
    "team.delete": "删除参赛团队",
    "person.consent": "个人信息处理同意",
    "person.unseal": "查看完整证件号码或手机号",
    "person.purge": "保存期限届满，清除证件号码和手机号",
    "person.erase": "删除个人信息",
    "data_request.create": "个人信息权利申请",
    "data_request.answer": "答复个人信息权利申请",
    "user.create": "新建账号",
    "user.update": "修改账号",
    "user.deactivate": "停用账号",
    "user.reactivate": "重新启用账号",
    "user.reset_password": "重置密码（临时密码）",
    "user.change_password": "本人修改密码",
    // 竞赛
    "series.create": "新建竞赛系列",
    "competition.create": "新建竞赛",
    "competition.update": "修改竞赛",
    "competition.transition": "变更竞赛状态",
    "competition.draw": "抽签",
    "registration.create": "报名",
    "registration.withdraw": "退出报名",
    "registration.approve": "审核通过报名",
    "registration.reject": "驳回报名",
    "registration.promote": "候补递补",
    "registration.recheck": "按新条件复核报名",
    "registration.checkin": "检录",
    "registration.export_full": "完整导出报名名单（含证件号）",
    // 评分
    "scheme.create": "设置评分标准",
    "scheme.update": "修改评分标准",
    "scheme.freeze": "评分标准锁定（开始评分）",
    "judge.assign": "聘任裁判",
    "judge.update": "调整裁判（裁判长、评分模块）",
    "judge.remove": "移出裁判组",
    "judge.absent": "登记裁判缺席",
    "judge.absence_withdraw": "撤销裁判缺席记录",
    "judge_link.create": "生成裁判登录二维码",
    "judge_link.reissue": "补发裁判登录二维码（现场）",
    "judge_link.revoke": "撤销裁判登录链接",
    "judge_link.use": "裁判扫码登录",
    "recusal.employer": "按工作单位登记回避",
    "recusal.declare": "登记回避声明",
    "recusal.withdraw": "撤销回避声明",
    "imported_mark.import": "导入理论成绩",
    "imported_mark.correct": "更正导入成绩",
    "sheet.save": "保存评分（草稿）",
    "sheet.submit": "提交评分表",
    "sheet.sign": "裁判签字确认评分表",
    "flag.accept": "确认超差评分",
    "stage.signoff": "裁判长签字确认环节",
    "mark.correct": "更正评分",
    "sheet_mark.correct": "仲裁更正评分",
    "contestant.disqualify": "取消比赛资格",
    "contestant.reinstate": "恢复比赛资格",
    "contestant.time_used": "登记用时",
    "contestant_facts.correct": "仲裁更正用时或资格",
    // 成绩
    "results.unblind": "解密成绩",
    "results.publish": "发布成绩",
    "round.close": "结束本轮（确定晋级名单与下一轮出场顺序）",
    "arbitration.add": "加入监督仲裁组",
    "arbitration.remove": "移出监督仲裁组",
    "appeal.lodge": "提出申诉",
    "appeal.answer": "答复申诉（仲裁结论）",
    // 评选表彰
    "programme.create": "新建评选",
    "programme.update": "修改评选",
    "programme.transition": "变更评选阶段",
    "programme.award": "确认表彰名单",
    "nomination.create": "推荐",
    "nomination.upload": "上传推荐名单",
    "nomination.update": "修改推荐材料",
    "nomination.withdraw": "撤回推荐",
    "nomination.direct": "按竞赛成绩直接推荐",
    "nomination.eligibility.confirm": "确认资格审查结果",
    "nomination.eligibility.override": "改判资格审查结果",
    "nomination.eligibility.confirm_all": "批量确认资格审查结果",
    "attachment.create": "上传推荐附件",
    "attachment.delete": "删除推荐附件",
    "reviewer.add": "聘请评审专家",
    "reviewer.remove": "移出评审专家",
    "review_sheet.save": "保存专家评分（草稿）",
    "review_sheet.submit": "提交专家评分",
    "shortlist.compute": "计算建议名单",
    "shortlist.infeasible": "建议名单无法形成",
    "shortlist.replace": "异议处理后调整建议名单",
    "shortlist.relax": "放宽结构比例（建议名单无法形成）",
    "shortlist.request": "请工会补充推荐",
    "notice.open": "开始公示",
    "objection.lodge": "提出异议",
    "objection.resolve": "处理异议",
    "calendar_year.create": "录入年度节假日安排",
    "calendar_year.update": "更正年度节假日安排",
  };

  const ENTITIES = {
    system: "系统", union: "基层工会", enterprise: "企业", person: "职工", user: "账号",
    series: "竞赛系列", competition: "竞赛", registration: "报名", stage: "竞赛环节",
    scoring_scheme: "评分标准", judge_assignment: "裁判", judge_link: "裁判登录链接", recusal: "回避",
    score_sheet: "评分表", sheet_mark: "评分", imported_mark: "导入成绩", tolerance_flag: "超差评分",
    appeal: "申诉", programme: "评选", nomination: "推荐", review_sheet: "专家评分表",
    objection: "异议", calendar_year: "年度节假日",
  };

  // Field names of before / after values (several entities share a name; the meaning is the same).
  const FIELDS = {
    id: "编号", name: "名称", title: "名称", year: "年度", kind: "类别", state: "状态", status: "状态",
    version: "版本", count: "人数", version_no: "版本号", reason: "理由", note: "说明",
    // people and accounts
    username: "用户名", role: "角色", role_name: "角色", display_name: "姓名", active: "账号启用",
    change_required: "须修改临时密码",
    id_number: "身份证号", mobile: "手机号", birth_date: "出生日期", gender: "性别", employer_id: "工作单位编号",
    employer_name: "工作单位", union_id: "基层工会编号", union_member: "工会会员", skill_level: "职业技能等级",
    front_line: "一线职工", enterprise_leader: "企业负责人", employed_since: "入职日期", person_id: "职工编号",
    credit_code: "统一社会信用代码", industry: "行业", industry_name: "行业", in_zone: "本区企业", parent_id: "上级工会编号",
    people: "人数", people_created: "新登记职工",
    // competitions
    occupation: "工种", venue: "地点", description: "说明", capacity: "名额", stages: "竞赛环节",
    eligibility: "参赛条件", registration_opens_at: "报名开始", registration_closes_at: "报名截止",
    registration_no: "报名号", review: "审核", attendance: "检录", station_no: "工位号", blind_code: "加密号",
    draws: "抽签结果", redraw: "重新抽签", waitlist_position: "候补位次", flagged: "不再符合条件的报名",
    // scoring
    competition_id: "竞赛编号", stage_id: "环节编号", rules: "评分标准", tolerance: "评价分允许误差",
    appeal_window_hours: "申诉时限（小时）", frozen_at: "锁定时间", judge_no: "裁判号", is_chief: "裁判长",
    module_ids: "评分模块", judge_user_id: "裁判账号编号", user_id: "账号编号", expires_at: "有效期至",
    revoked: "撤销数", added: "新增数", registration_id: "报名编号", aspect_id: "评分项", value: "分数",
    marks: "评分", spread: "分差", time_used_seconds: "用时（秒）", disqualified: "取消资格",
    disqualified_reason: "取消资格理由", unblinded_at: "解密时间", contestants: "选手人数",
    unresolved_ties: "无法区分的并列", correction: "更正内容", rows: "行数",
    // awards
    programme_id: "评选编号", total_awards: "表彰名额", quota_scope: "名额计算方式", default_quota: "默认名额",
    quotas: "单独名额", constraints: "结构比例", review_rules: "专家评审标准", qualifying_results: "竞赛成绩的作用",
    deed_max_chars: "事迹字数上限", notice_length: "公示期", notice_unit: "公示期单位",
    nomination_opens_at: "推荐开始", nomination_closes_at: "推荐截止", nomination_id: "推荐编号",
    nomination_ids: "推荐编号", eligibility_status: "资格审查结果", overridden: "已改判", reviewed: "已审核",
    deed: "事迹", achievements: "主要成绩", source: "推荐方式", confirmed: "确认数", created: "新增",
    converted: "转为直接推荐", existing: "已有", attachment_id: "附件编号", filename: "文件名", size: "大小（字节）",
    sha256: "文件指纹", file_sha256: "文件指纹", skipped_rows: "跳过的行", reviewer_no: "专家序号",
    reviewers: "评审专家", allow_incomplete: "按未完成的评审计算", selected: "入选", total_score: "总分",
    shortfalls: "不能满足的要求", displacements: "名单调整", cutoff_ties: "名额线并列", removed: "撤下",
    also_resolved: "同时处理的异议", change: "调整", names: "名单", notice_starts_on: "公示开始",
    notice_ends_on: "公示结束", length: "期限", unit: "单位", grounds: "异议理由", grounds_chars: "理由字数",
    anonymous: "匿名", contact_given: "留有联系方式", organisation: "所在单位", awarded: "表彰人数",
    awarded_on: "表彰日期", certificates: "证书", holidays: "放假日期", makeup_workdays: "调休上班日期", reasons: "原因",
    round: "轮次", qualified: "晋级人数", not_qualified: "未晋级人数", next_order: "下一轮出场顺序",
    revoked_unused: "作废的未用二维码", kept_flagged: "坚持原评分的超差项", issuing_body: "发布单位", objection_office: "异议受理单位",
    objection_phone: "受理电话", objection_address: "受理地址", replacement_notice: "递补人选的公示方式",
  };

  const YES_NO = { true: "是", false: "否" };
  const COMPETITION_STATES = { draft: "草稿", open: "报名中", closed: "报名截止", checked_in: "检录完成", in_progress: "比赛中", finished: "已结束" };
  const PROGRAMME_STATES = {
    draft: "草稿", open: "征集推荐", eligibility_review: "资格审查", expert_review: "专家评审",
    shortlist: "建议名单", public_notice: "公示", awarded: "已表彰", archived: "已归档",
  };
  // Values that are codes: by "entity.field" first, then by field.
  const VALUES = {
    "competition.state": COMPETITION_STATES,
    "programme.state": PROGRAMME_STATES,
    "registration.status": { accepted: "已报名", waitlisted: "候补", rejected: "已驳回", withdrawn: "已退出" },
    "nomination.status": { nominated: "已推荐", withdrawn: "已撤回", shortlisted: "入围", removed: "已撤下", awarded: "已表彰" },
    "score_sheet.status": { draft: "草稿", submitted: "已提交", signed: "已签字" },
    "objection.status": { pending: "待处理", upheld: "异议成立", dismissed: "已驳回" },
    "appeal.status": { pending: "待答复", upheld: "申诉成立", dismissed: "驳回" },
    review: { pending: "待审核", approved: "已通过", rejected: "已驳回" },
    attendance: { present: "到场", absent: "缺席" },
    role: { organizer: "组织者", judge: "裁判", union_officer: "基层工会干部", expert: "评审专家", contestant: "选手" },
    gender: { M: "男", F: "女" },
    skill_level: { 5: "初级工（五级）", 4: "中级工（四级）", 3: "高级工（三级）", 2: "技师（二级）", 1: "高级技师（一级）" },
    eligibility_status: { eligible: "符合条件", ineligible: "不符合条件", pending: "待审" },
    quota_scope: { union: "按推荐工会", industry: "按行业" },
    notice_unit: { working_days: "工作日", calendar_days: "自然日" },
    unit: { working_days: "工作日", calendar_days: "自然日" },
    "nomination.source": { union: "工会推荐", direct: "直接推荐" },
    kind: {
      craftsman: "亦城工匠", model_worker: "劳动模范", advanced_worker: "先进工作者", good_employee: "爱企业的好职工",
      good_manager: "爱职工的好经理", collective: "先进集体", enterprise: "企业工会", federation: "园区/楼宇工会联合会",
      employer: "同单位", declared: "本人声明",
    },
    industry: {
      new_generation_it: "新一代信息技术", biomedicine: "生物技术和大健康",
      intelligent_manufacturing: "高端汽车和新能源智能汽车", robotics_equipment: "机器人和智能制造", other: "其他",
    },
  };

  function action(code) {
    return ACTIONS[code] || code;
  }

  function entity(code) {
    return ENTITIES[code] || code;
  }

  function field(name) {
    return FIELDS[name] || name;
  }

  // A value in words: codes named, booleans as 是 / 否, times in Beijing time.
  function value(entityCode, fieldName, raw) {
    if (raw === null || raw === undefined || raw === "") return "—";
    if (typeof raw === "boolean") return YES_NO[raw];
    const names = VALUES[`${entityCode}.${fieldName}`] || VALUES[fieldName];
    if (names && Object.prototype.hasOwnProperty.call(names, raw)) return names[raw];
    if (typeof raw === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(raw)) return App.when(raw);
    return String(raw);
  }

  return { ACTIONS, ENTITIES, FIELDS, action, entity, field, value };
})();
