#!/usr/bin/env python3
"""Prints a batch record to PDF the way a browser does (headless Chromium, A4, the page's own
print stylesheet with its running headers and footers), then checks the PDF: A4 pages, each
with the batch, the product and "Page x of y".

    python3 Tests/Browser/print_record.py BASE_URL USER PASSWORD BATCH OUT.pdf

Needs pdftoppm and pdftotext (Debian's poppler-utils) for the checks; writes OUT-<n>.png pages.
"""
import base64
import os
import re
import subprocess
import sys
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions

os.environ["SE_AVOID_STATS"] = "true"
base, user, password, batch, out = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]


def check(condition, what):
    if not condition:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


options = Options()
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu"]:
    options.add_argument(arg)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
try:
    driver.get(base + "/sign-in")
    driver.find_element(By.NAME, "username").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    driver.get(f"{base}/batches/{batch}/record")
    check("Batch record" in driver.title, "the record page opens")
    # The page's CSS sets A4 and the margins; Chromium's own header and footer are off.
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "displayHeaderFooter": False, "printBackground": True})
    with open(out, "wb") as f:
        f.write(base64.b64decode(pdf["data"]))
finally:
    driver.quit()

info = subprocess.run(["pdfinfo", out], capture_output=True, text=True).stdout
pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info)
check(pages >= 2, f"the record prints on {pages} pages")
check(abs(float(size.group(1)) - 595.3) < 2 and abs(float(size.group(2)) - 841.9) < 2, f"A4 pages ({size.group(0)})")
for n in range(1, pages + 1):
    text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", out, "-"], capture_output=True, text=True).stdout
    check(f"Page {n} of {pages}" in text, f"page {n} says 'Page {n} of {pages}'")
    check(batch in text, f"page {n} names the batch")
text = subprocess.run(["pdftotext", out, "-"], capture_output=True, text=True).stdout
check("performed" in text and "verified" in text, "signatures with their meaning are printed")
check("End of the batch record" in text, "the record ends with its end mark")
subprocess.run(["pdftoppm", "-png", "-r", "60", out, out[:-4]], check=True)
print("printed record: passed")
