#!/usr/bin/env python3
"""End-to-end test in headless Chromium (Debian's chromium and chromium-driver, Selenium).

    python3 Tests/Browser/e2e.py BASE_URL USER PASSWORD ENGINEER ENGINEER_PASSWORD

As users would: the start page sends to sign-in; a wrong password is refused on the page;
signing in lands on the start page; the process library lists the examples; a lot report shows
its figures; signing out ends the session. Then a process engineer uploads a process file with
a mistake and sees it at its line (live while typing, and on saving), fixes it and sees the lot
it makes; runs a Monte Carlo with its progress; plans a facility and simulates it; downloads an
Excel workbook and reads it back. Exits non-zero on the first failure.
"""
import glob
import json
import os
import re
import sys
import tempfile
import time
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

os.environ["SE_AVOID_STATS"] = "true"
base, user, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
engineer, engineer_password = sys.argv[4], sys.argv[5]
downloads = tempfile.mkdtemp()


def check(condition, what):
    if not condition:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


options = Options()
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,900"]:
    options.add_argument(arg)
options.binary_location = "/usr/bin/chromium"
options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False})
driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})


def wait_for(condition, what, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        try:
            if condition():
                print("ok:", what)
                return
        except Exception:
            pass
        time.sleep(0.1)
    check(False, what)


try:
    driver.get(base + "/processes")
    check(driver.current_url.startswith(base + "/sign-in"), "a page without a session sends to sign-in")

    def sign_in(pw):
        driver.find_element(By.NAME, "username").clear()
        driver.find_element(By.NAME, "username").send_keys(user)
        driver.find_element(By.NAME, "password").send_keys(pw)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    sign_in("not the password")
    wait_for(lambda: "wrong username or password" in driver.page_source, "a wrong password is refused on the page")
    sign_in(password)
    wait_for(lambda: driver.current_url == base + "/processes", "signing in goes back to the page asked for")
    links = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "table.data a")]
    check("seed000-aav-200L.yaml" in links and len(links) >= 5, f"the library lists the examples ({len(links)})")
    driver.find_element(By.LINK_TEXT, "seed000-aav-200L.yaml").click()
    wait_for(lambda: driver.current_url.endswith("/processes/seed000-aav-200L.yaml"), "the lot report opens")
    figures = {f.find_element(By.CLASS_NAME, "label").text: f.find_element(By.CLASS_NAME, "value").text
               for f in driver.find_elements(By.CLASS_NAME, "figure")}
    capsids = driver.find_elements(By.ID, "particles")
    check(capsids and "Capsids" in capsids[0].text and "not met by the prediction" in driver.page_source,
          "the seed 000 lot report balances its capsids and predicts the full-capsid specification")
    scripts = [e.get_attribute("src") for e in driver.find_elements(By.CSS_SELECTOR, "script")]
    check(scripts == [base + "/static/app.js"], f"the site's own script only, no inline script ({scripts})")
    # The page's figures are the lot report's: compared with its JSON download, not typed in.
    report = json.loads(driver.execute_script(
        "const x = new XMLHttpRequest(); x.open('GET', arguments[0], false); x.send(); return x.responseText;",
        base + "/processes/seed000-aav-200L.yaml.json"))
    check(figures.get("doses a lot") == str(report["summary"]["doses"])
          and figures.get("vials filled") == str(report["summary"]["vialsFilled"])
          and report["particles"]["bulk"]["vectorShare"] > 0,
          f"the seed 000 lot report shows its figures {figures}")
    driver.find_element(By.CSS_SELECTOR, "form.who button").click()
    wait_for(lambda: driver.current_url.startswith(base + "/sign-in"), "signing out returns to sign-in")
    driver.get(base + "/")
    check(driver.current_url.startswith(base + "/sign-in"), "the session is over")

    # A process engineer uploads a process file with a mistake, sees it at its line, fixes it.
    driver.find_element(By.NAME, "username").send_keys(engineer)
    driver.find_element(By.NAME, "password").send_keys(engineer_password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # The sign-in's answer sets the session cookie: wait for it before going on.
    wait_for(lambda: not driver.current_url.startswith(base + "/sign-in") and driver.find_elements(By.CSS_SELECTOR, "form.who"),
             "the process engineer is signed in")
    driver.get(base + "/processes")
    driver.find_element(By.LINK_TEXT, "New process file").click()
    good = open(os.path.join(os.path.dirname(__file__), "..", "..", "Examples", "seed000-aav-200L.yaml"), encoding="utf-8").read()
    lines = good.split("\n")
    line = next(i for i, l in enumerate(lines) if l.strip().startswith("productivity:")) + 1
    bad = "\n".join(l if i != line - 1 else l.split("productivity:")[0] + "productivity: plenty" for i, l in enumerate(lines))
    driver.find_element(By.NAME, "name").send_keys("e2e-seed.yaml")
    text = driver.find_element(By.ID, "text")
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", text, bad)
    text.send_keys(" ")
    wait_for(lambda: f"line {line}" in driver.find_element(By.ID, "live").text, f"live validation shows the mistake at line {line}")
    driver.find_element(By.NAME, "note").send_keys("uploaded by the end-to-end test")
    driver.find_element(By.CSS_SELECTOR, "#process-form button[type=submit]").click()
    wait_for(lambda: driver.find_elements(By.ID, "mistakes"), "the refused file comes back with its mistakes")
    mistakes = driver.find_element(By.ID, "mistakes").text
    check(f"line {line}" in mistakes and "productivity" in mistakes and "nothing was saved" in driver.page_source,
          f"saving shows the mistake at line {line} and its field, and saves nothing")
    text = driver.find_element(By.ID, "text")
    driver.execute_script("arguments[0].value = arguments[1];", text, good)
    driver.find_element(By.CSS_SELECTOR, "#process-form button[type=submit]").click()
    wait_for(lambda: driver.current_url == base + "/processes/e2e-seed.yaml", "the fixed file is saved and its lot simulated")
    figures = {f.find_element(By.CLASS_NAME, "label").text: f.find_element(By.CLASS_NAME, "value").text
               for f in driver.find_elements(By.CLASS_NAME, "figure")}
    check(figures.get("doses a lot") == str(report["summary"]["doses"]),
          f"the uploaded process (seed 000's text) makes seed 000's lot {figures}")
    check("e2e-seed.yaml v1" in driver.page_source, "as version 1")

    # A Monte Carlo from the page, with its progress.
    driver.get(base + "/uncertainty")
    samples = driver.find_element(By.NAME, "samples")
    samples.clear()
    samples.send_keys("100000")
    target = driver.find_element(By.NAME, "target")
    target.clear()
    target.send_keys("10")
    started = time.time()
    driver.find_element(By.CSS_SELECTOR, "#mc-form button[type=submit]").click()
    # With the default Sobol analysis (until every interval is narrower than 0.05): about 11 s
    # on a debug build, against 3 s without it.
    wait_for(lambda: "samples=100000" in driver.current_url and driver.find_elements(By.CSS_SELECTOR, "figure.chart svg"),
             "the Monte Carlo's result comes back on the page", seconds=60)
    elapsed = time.time() - started
    labels = [f.text for f in driver.find_elements(By.CSS_SELECTOR, ".figure .label")]
    check("P(≥ 10 doses a lot)" in labels and "100,000 samples" in driver.page_source,
          f"100,000 samples with P(target doses), back in {elapsed:.2f} s in the browser")
    whiskers = driver.find_elements(By.CSS_SELECTOR, "figure.chart svg g.whisker")
    rows = driver.find_elements(By.CSS_SELECTOR, "#sobol-table tbody tr")
    check(len(rows) > 0 and len(whiskers) == 2 * len(rows) and "narrower than 0.05" in driver.page_source,
          f"the Sobol indices by default, {len(rows)} rows with their intervals and {len(whiskers)} whiskers")

    # Plan a facility and simulate it.
    driver.get(base + "/capacity")
    from selenium.webdriver.support.ui import Select
    Select(driver.find_element(By.NAME, "facility")).select_by_value("peer-four-suites.yaml")
    Select(driver.find_element(By.NAME, "demand")).select_by_value("peer-ten-years.yaml")
    driver.find_element(By.XPATH, "//button[text()='Plan']").click()
    wait_for(lambda: "facility=peer-four-suites.yaml" in driver.current_url and driver.find_elements(By.CSS_SELECTOR, "svg.gantt"),
             "the plan is drawn as a Gantt chart")
    lots = driver.find_element(By.XPATH, "//span[@class='label' and text()='lots planned']/preceding-sibling::span").text
    check(int(lots.replace(",", "")) > 0, f"{lots} lots planned")
    replications = driver.find_element(By.NAME, "replications")
    replications.clear()
    replications.send_keys("100")
    driver.find_element(By.XPATH, "//button[text()='Simulate the facility']").click()
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "ul.why li"), "the facility simulation comes back")
    why = driver.find_elements(By.CSS_SELECTOR, "ul.why li")
    check(len(why) >= 1 and "the plan serves" in why[0].text, f"the simulation beside the plan says why they differ: {why[0].text if why else ''}")

    # Download the page's tables as an Excel workbook and read it back.
    driver.find_element(By.LINK_TEXT, "This page's tables as Excel").click()
    wait_for(lambda: glob.glob(downloads + "/*.xlsx") and not glob.glob(downloads + "/*.crdownload"), "the workbook downloads")
    path = glob.glob(downloads + "/*.xlsx")[0]
    try:
        import openpyxl
        book = openpyxl.load_workbook(path)
        names = book.sheetnames
        check("Demand and supply" in names and "Plan and simulation" in names, f"the workbook has a sheet per table {names}")
        sheet = book["Demand and supply"]
        check(sheet.freeze_panes == "A2" and isinstance(sheet["B2"].value, (int, float)), "a frozen header, numbers as numbers")
    except ImportError:
        check(os.path.getsize(path) > 1000, "the workbook downloads (openpyxl not installed to read it)")
finally:
    driver.quit()
print("end-to-end: passed")
