"""pypinyin reads its dictionaries from JSON files beside its modules (storage/sortkeys.py)."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("pypinyin")
