from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-30T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "programme: how a replacement goes public (replacement_notice), the issuing body and where objections "
    "are received (objection_office, objection_phone, objection_address)"
)

COLUMNS = (
    ("replacement_notice", 20, "own_period"),
    ("issuing_body", 100, "北京经济技术开发区总工会"),
    ("objection_office", 100, ""),
    ("objection_phone", 40, ""),
    ("objection_address", 100, ""),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="awards", description=DESCRIPTION)
    for name, length, default in COLUMNS:
        manager.add_column(
            table_class_name="Programme",
            tablename="programme",
            column_name=name,
            db_column_name=name,
            column_class_name="Varchar",
            column_class=Varchar,
            params={
                "length": length,
                "default": default,
                "null": False,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
