#!/usr/bin/env python3
"""Every Excel download read back with openpyxl and compared, cell by cell, with the CSV
download of the same table.

    python3 Tests/Browser/workbooks.py BASE_URL USER PASSWORD

Signs in through the sign-in form (its CSRF token and pre-session cookie), downloads each
page's workbook and its tables as CSV; a workbook's numbers must be numbers equal to the
CSV's, its text the same text, its header row bold and frozen. Exits non-zero on a difference.
"""
import csv
import http.cookiejar
import io
import re
import sys
import urllib.parse
import urllib.request

import openpyxl

base, user, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def get(path):
    with opener.open(base + path) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


status, _, page = get("/sign-in")
token = re.search(rb'name="csrf" value="([0-9a-f]+)"', page).group(1).decode()
form = urllib.parse.urlencode({"username": user, "password": password, "csrf": token, "next": "/"}).encode()
opener.open(urllib.request.Request(base + "/sign-in", data=form, method="POST")).read()

zone = "facility=lv-zone-2015.yaml&demand=sickle-cell-100-patients.yaml"
suite = "facility=lv-industrial-suite.yaml&demand=sickle-cell-industrial-demand.yaml"
mc = "file=peer-aav-2000L-montecarlo.yaml&samples=20000&seed=42&target=10&sobol=0"
cases = [
    ("/processes/seed000-aav-200L.yaml.xlsx", ["/processes/seed000-aav-200L.yaml.csv"]),
    ("/compare.xlsx?doses=100", ["/compare.csv?doses=100"]),
    ("/costs/aav-dmd-suspension-2000L.yaml.xlsx", ["/costs/aav-dmd-suspension-2000L.yaml.csv"]),
    ("/costs?format=xlsx", ["/costs?format=csv&table=scale-curve"]),
    (f"/capacity?{zone}&replications=50&seed=7&format=xlsx",
     [f"/capacity?{zone}&replications=50&seed=7&format=csv&table={t}"
      for t in ["lots-per-product", "demand-and-supply", "utilisation", "lots-by-suite-and-year", "plan-and-simulation"]]),
    (f"/capacity/schedule?{zone}&format=xlsx", [f"/capacity/schedule?{zone}&format=csv"]),
    (f"/capacity/materials?{suite}&format=xlsx",
     [f"/capacity/materials?{suite}&format=csv&table={t}" for t in ["material-totals", "materials-by-year", "materials-by-month"]]),
    ("/capacity/transfer?process=aav-dmd-suspension-2000L.yaml&facility=genethon-bioprod-2015.yaml&format=xlsx",
     ["/capacity/transfer?process=aav-dmd-suspension-2000L.yaml&facility=genethon-bioprod-2015.yaml&format=csv&table=transfer-stages"]),
    (f"/uncertainty?{mc}&format=xlsx", [f"/uncertainty?{mc}&format=csv"]),
]

failures = 0
cells = 0
for xlsx_path, csv_paths in cases:
    status, kind, data = get(xlsx_path)
    assert kind == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (xlsx_path, kind)
    book = openpyxl.load_workbook(io.BytesIO(data))
    if len(book.worksheets) != len(csv_paths):
        print("FAILED:", xlsx_path, "has", len(book.worksheets), "sheets, expected", len(csv_paths))
        failures += 1
        continue
    for sheet, csv_path in zip(book.worksheets, csv_paths):
        _, kind, text = get(csv_path)
        assert kind.startswith("text/csv"), (csv_path, kind)
        assert text.startswith(b"\xef\xbb\xbf"), csv_path + ": no byte-order mark"
        expected = list(csv.reader(io.StringIO(text.decode("utf-8-sig"), newline="")))
        got = [list(r) for r in sheet.iter_rows(values_only=True)]
        problems = []
        if sheet.freeze_panes != "A2":
            problems.append(f"header not frozen ({sheet.freeze_panes})")
        if not sheet["A1"].font.b:
            problems.append("header not bold")
        if len(got) != len(expected):
            problems.append(f"{len(got)} rows, the CSV {len(expected)}")
        numbers = 0
        for i, (row, want) in enumerate(zip(got, expected)):
            row = list(row) + [None] * (len(want) - len(row))
            for j, field in enumerate(want):
                value = row[j] if j < len(row) else None
                cells += 1
                if value is None:
                    ok = field == ""
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    numbers += 1
                    try:
                        ok = float(field) == float(value)
                    except ValueError:
                        ok = False
                else:
                    ok = str(value) == field
                if not ok and len(problems) < 5:
                    problems.append(f"row {i + 1} column {j + 1}: workbook {value!r}, CSV {field!r}")
        if numbers == 0 and any(re.fullmatch(r"-?[0-9.]+(e-?[0-9]+)?", f) for r in expected[1:] for f in r):
            problems.append("no number stored as a number")
        if problems:
            failures += 1
            print("FAILED:", xlsx_path, sheet.title, "; ".join(problems))
        else:
            print(f"ok: {xlsx_path} sheet '{sheet.title}': {len(got)} rows, {numbers} numbers, the same as {csv_path}")
if failures:
    sys.exit(1)
print(f"workbooks: {cells} cells compared, all the same as the CSV")
