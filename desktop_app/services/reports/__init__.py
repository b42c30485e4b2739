"""Reporting for the union: statistics for a period, exports, the service ledger, news drafts.

A team leader reports to the district union every month and every year. These Qt-free modules
count what the library holds for a period (`stats`), lay it out as tables (`tables`), write
workbooks and CSV files (`xlsx`, `csvfile`), print the service ledger and a member's service
record (`ledger`, `member_record`, with charts from `charts`), and draft a newspaper item about a
session (`news`). The CLI (`jiangxin report`) and the window call them.

Figures are counted in SQL over the library's plain `sqlite3` reader; a figure that some
sessions cannot contribute to (no end time, no head counts) says how many were left out and why
instead of counting them as zero.
"""
