#!/usr/bin/env python3
"""End-to-end test in headless Chromium (Debian's chromium and chromium-driver, Selenium).

    python3 Tests/Browser/e2e.py BASE_URL USER PASSWORD

As a user would: the start page sends to sign-in; a wrong password is refused on the page;
signing in lands on the start page; the process library lists the examples; a lot report shows
its figures; signing out ends the session. Exits non-zero on the first failure.
"""
import os
import sys
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

os.environ["SE_AVOID_STATS"] = "true"
base, user, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]


def check(condition, what):
    if not condition:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


options = Options()
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,900"]:
    options.add_argument(arg)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
try:
    driver.get(base + "/processes")
    check(driver.current_url.startswith(base + "/sign-in"), "a page without a session sends to sign-in")

    def sign_in(pw):
        driver.find_element(By.NAME, "username").clear()
        driver.find_element(By.NAME, "username").send_keys(user)
        driver.find_element(By.NAME, "password").send_keys(pw)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    sign_in("not the password")
    check("wrong username or password" in driver.page_source, "a wrong password is refused on the page")
    sign_in(password)
    check(driver.current_url == base + "/processes", "signing in goes back to the page asked for")
    links = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "table.data a")]
    check("seed000-aav-200L.yaml" in links and len(links) >= 5, f"the library lists the examples ({len(links)})")
    driver.find_element(By.LINK_TEXT, "seed000-aav-200L.yaml").click()
    figures = {f.find_element(By.CLASS_NAME, "label").text: f.find_element(By.CLASS_NAME, "value").text
               for f in driver.find_elements(By.CLASS_NAME, "figure")}
    check(figures.get("doses a lot") == "11" and figures.get("vials filled") == "89",
          f"the seed 000 lot report shows its figures {figures}")
    check(len(driver.find_elements(By.CSS_SELECTOR, "script")) == 0, "no script on the page")
    driver.find_element(By.CSS_SELECTOR, "form.who button").click()
    check(driver.current_url.startswith(base + "/sign-in"), "signing out returns to sign-in")
    driver.get(base + "/")
    check(driver.current_url.startswith(base + "/sign-in"), "the session is over")
finally:
    driver.quit()
print("end-to-end: passed")
