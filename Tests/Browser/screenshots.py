#!/usr/bin/env python3
"""Screenshots of every page of a running VectorFab site, at 1440×900 and 390×844.

    python3 Tests/Browser/screenshots.py http://127.0.0.1:8080 USER PASSWORD OUTDIR

Signs in through the sign-in form, then visits each page; writes OUTDIR/<page>-<width>.png.
"""
import os
import sys
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

os.environ["SE_AVOID_STATS"] = "true"  # Selenium Manager: no call to the internet

base, user, password, out = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
only = set(sys.argv[5].split(",")) if len(sys.argv) > 5 else None
pages = [("sign-in", "/sign-in"), ("home", "/"), ("processes", "/processes"),
         ("process", "/processes/seed000-aav-200L.yaml"), ("compare", "/compare?doses=100"), ("costs", "/costs"), ("cost", "/costs/aav-dmd-suspension-2000L.yaml"), ("uncertainty", "/uncertainty?file=peer-aav-2000L-montecarlo.yaml&samples=100000&seed=42&target=10&sobol=2000"),
         ("process-edit", "/processes/seed000-aav-200L.yaml/edit"), ("process-new", "/processes/new"),
         ("process-versions", "/processes/seed000-aav-200L.yaml/versions"),
         ("capacity", "/capacity?facility=lv-zone-2015.yaml&demand=sickle-cell-100-patients.yaml&replications=200&seed=42"),
         ("capacity-market", "/capacity?facility=cdmo-market-2022.yaml&demand=market-demand-2023-2030.yaml"),
         ("capacity-market-2025", "/capacity?facility=cdmo-market-2022.yaml&demand=market-demand-2023-2030.yaml&year=2025"),
         ("materials", "/capacity/materials?facility=lv-industrial-suite.yaml&demand=sickle-cell-industrial-demand.yaml"),
         ("transfer", "/capacity/transfer"), ("batches", "/batches"), ("batch", "/batches/B-2026-0004"),
         ("phase", "/batches/B-2026-0004/phases/1.1.1"), ("qc", "/qc"), ("audit", "/audit?verify=yes"),
         ("deviations", "/deviations"), ("deviation", "first:/deviations a.dcard"), ("release", "/batches/B-2026-0002/release"),
         ("release-open", "/batches/B-2026-0004/release"), ("record", "/batches/B-2026-0002/record"),
         ("genealogy", "/batches/B-2026-0002/genealogy"), ("gmp-materials", "/materials"), ("lot", "first:/materials a[href^='/materials/lots/']"),
         ("trends", "first:/qc/trends a.test"), ("profile", "/profile"), ("security", "/admin/security"),
         ("monitoring", "/monitoring"), ("trend", "/monitoring/trend?series=BR-200-1%2Ftemperature"),
         ("cpv", "/cpv"), ("cpv-chart", "first:/cpv table.data a")]

for width, height in [(1440, 900), (390, 844)]:
    options = Options()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}"]:
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    try:
        driver.get(base + "/sign-in")
        driver.save_screenshot(f"{out}/sign-in-{width}.png")
        driver.find_element(By.NAME, "username").send_keys(user)
        driver.find_element(By.NAME, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        for name, path in pages[1:]:
            if only and name not in only:
                continue
            if path.startswith("first:"):
                # The first link matching the selector on a list page: records whose ids are random.
                listing, selector = path[len("first:"):].split(" ", 1)
                driver.get(base + listing)
                links = driver.find_elements(By.CSS_SELECTOR, selector)
                if not links:
                    print("no link", selector, "on", listing)
                    continue
                driver.get(links[0].get_attribute("href"))
            else:
                driver.get(base + path)
            full = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(width, min(max(height, full), 4000))
            driver.save_screenshot(f"{out}/{name}-{width}.png")
            driver.set_window_size(width, height)
    finally:
        driver.quit()
print("screenshots in", out)
