"""Two databases: the unmigrated ``legacy`` app lives on ``archive``, everything else on default."""


class ArchiveRouter:
    def db_for_read(self, model, **hints):
        return "archive" if model._meta.app_label == "legacy" else None

    db_for_write = db_for_read

    def allow_migrate(self, db, app_label, **hints):
        return db == ("archive" if app_label == "legacy" else "default")
