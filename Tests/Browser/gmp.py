#!/usr/bin/env python3
"""The GMP end-to-end test in headless Chromium: a batch from execution to release, in the
browser alone, as the people of a plant do it.

    python3 Tests/Browser/gmp.py BASE_URL SERVER_LOG SCREENSHOT_DIR

SERVER_LOG is the demo server's log, with the accounts it printed (`  role: user / password`).
An operator executes the demo's batch in progress phase by phase, with one value out of range
(confirmed, its deviation opened at once), the third phase from the keyboard alone; the
supervisor verifies every phase; a QC analyst takes the release samples and enters both panels,
one result out of specification, then a repeat with its reason; QA enrols an authenticator by
scanning its QR code (read with zxing-cpp), investigates and closes the deviations (the closing
signed with a TOTP code) and releases the batch by exception with a signature and a code; then a
raw material the batch used is recalled and the batch shows on hold.

Monitoring: the operator runs the production phase on bioreactor BR-200-1; while it runs, the
plant's historian posts its temperature at 39 °C (POST /api/points, CSV): an action alarm, a
deviation on the batch at once, and the alarm banner appearing on the operator's open page
without a reload (server-sent events). The supervisor acknowledges the alarm with a comment and
the password; the release review shows the excursion in the batch's environment and the
deviation blocks the release until QA closes it.

A screenshot of every screen goes to SCREENSHOT_DIR. Exits non-zero on the first failure.
"""
import base64
import datetime
import hashlib
import hmac
import io
import json
import os
import re
import struct
import sys
import time
import urllib.request
import zxingcpp
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

os.environ["SE_AVOID_STATS"] = "true"
base, log, shots = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
os.makedirs(shots, exist_ok=True)
accounts = {}
for line in open(log, encoding="utf-8"):
    m = re.search(r"  ([a-z-]+): (\w+) / (\S+)$", line.strip("\n"))
    if m:
        accounts[m.group(1)] = (m.group(2), m.group(3))
for role in ["operator", "supervisor", "qc-analyst", "qa"]:
    if role not in accounts:
        print("FAILED: the server log names no", role)
        sys.exit(1)


def check(condition, what):
    if not condition:
        print("FAILED:", what)
        driver.save_screenshot(f"{shots}/failure.png")
        sys.exit(1)
    print("ok:", what)


count = [0]


def shot(name):
    """A screenshot of the whole page as it is now."""
    count[0] += 1
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(max(900, height), 6000))
    driver.save_screenshot(f"{shots}/{count[0]:02d}-{name}.png")
    driver.set_window_size(1280, 900)


def tablet_check(name):
    """The page at a cleanroom tablet's widths (390 to 1024 px): nothing wider than the screen,
    every button and field at least 44 px tall (a gloved finger's target); a screenshot at
    390 px."""
    for width in (390, 768, 1024):
        driver.set_window_size(width, 900)
        wide = driver.execute_script("return document.documentElement.scrollWidth")
        check(wide <= width, f"{name} fits {width} px ({wide} px wide)")
        small = driver.execute_script(
            "return [...document.querySelectorAll('main button, main input:not([type=hidden]), main a.button')]"
            ".filter(e => e.offsetParent && e.getBoundingClientRect().height < 44)"
            ".map(e => e.outerHTML.slice(0, 60))")
        check(not small, f"{name} at {width} px: every target at least 44 px tall {small[:2]}")
        if width == 390:
            count[0] += 1
            height = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(390, min(max(844, height), 6000))
            driver.save_screenshot(f"{shots}/{count[0]:02d}-{name}-390.png")
    driver.set_window_size(1280, 900)


def totp(secret, step):
    """RFC 6238 as authenticator apps compute it: the key is the base32 text the page shows,
    decoded; HMAC-SHA1, 6 digits, 30 s."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


used_steps = set()


def fresh_code(secret):
    """A code of a step not used yet (each code is accepted once): waits for the next step if needed."""
    while True:
        step = int(time.time()) // 30
        if step not in used_steps:
            used_steps.add(step)
            return totp(secret, step)
        time.sleep(1)


options = Options()
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"]:
    options.add_argument(arg)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))


def sign_in(role):
    driver.delete_all_cookies()
    user, password = accounts[role]
    driver.get(base + "/sign-in")
    driver.find_element(By.NAME, "username").send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(password)
    submit(driver.find_element(By.TAG_NAME, "form"))
    check(driver.find_elements(By.CSS_SELECTOR, "form.who"), f"{role} {user} signs in")
    return password


def submit(form, button_text=None):
    """Clicks the form's (named) button and waits for the next page."""
    buttons = form.find_elements(By.CSS_SELECTOR, "button[type=submit]")
    if button_text:
        buttons = [b for b in buttons if button_text in b.text]
    acting_and_waiting(buttons[0].click)


def acting_and_waiting(act):
    """Does `act` (a click, a key) and waits until the next page has replaced this one."""
    page = driver.find_element(By.TAG_NAME, "html")
    act()

    def left(d):
        # The old page is gone (Chromium says so with a stale element or an inspector error).
        try:
            page.is_enabled()
            return False
        except Exception:
            return d.execute_script("return document.readyState") == "complete"

    WebDriverWait(driver, 30).until(left)


def keys(*k):
    """Keys pressed on the keyboard, wherever the focus is (no click)."""
    ActionChains(driver).send_keys(*k).perform()


def tab_to(matches, what, limit=150):
    """Presses Tab until the focused element matches; fails the check if it never does."""
    for _ in range(limit):
        el = driver.switch_to.active_element
        if matches(el):
            return el
        keys(Keys.TAB)
    check(False, f"the Tab key reaches {what}")
    return None


def press_enter_and_wait():
    acting_and_waiting(lambda: keys(Keys.ENTER))


def named(name):
    return lambda el: el.get_attribute("name") == name


def keyboard_phase(batch_url, password):
    """One whole phase from the keyboard alone: Tab to the next phase's link, Enter; each value
    typed where the cursor starts (the first one still to enter), Enter; the material lot and
    quantity, Enter; the equipment, Enter; the password, Enter. The focused field shows it."""
    driver.get(batch_url)
    nxt = driver.find_elements(By.XPATH, "//p[contains(., 'Next:')]/a[@class='button']")
    if not nxt:
        return False
    href = nxt[0].get_attribute("href")
    tab_to(lambda el: el.get_attribute("href") == href, "the next phase's link")
    press_enter_and_wait()
    check("/phases/" in driver.current_url, "Enter on the focused link opens the phase")
    first = True
    while driver.find_elements(By.CSS_SELECTOR, "form.param input[name=action][value=value]"):
        el = driver.switch_to.active_element
        check(el.get_attribute("name") == "value", "the cursor starts in the first value still to enter")
        if first:
            outline = driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", el)
            check(outline not in ("none", ""), f"the focused field is outlined ({outline})")
            first = False
        keys(el.get_attribute("placeholder"))
        press_enter_and_wait()
    needs = []
    for li in driver.find_elements(By.CSS_SELECTOR, "ul.materials li"):
        quantity = re.search(r":\s*([0-9.e+-]+)", li.text).group(1)
        lot = li.find_elements(By.CSS_SELECTOR, "span.lot code")
        if lot and float(quantity) > 0:
            needs.append((lot[0].text, quantity))
    for lot_id, quantity in needs:
        tab_to(named("lot"), "the material lot field")
        keys(lot_id)
        tab_to(named("quantity"), "the quantity field")
        keys(quantity)
        press_enter_and_wait()
        check(f"lot {lot_id}" in driver.page_source, "a material consumed from the keyboard")
    eq = driver.find_elements(By.CSS_SELECTOR, "input[name=equipment]")
    if eq and eq[0].get_attribute("value"):
        tab_to(named("equipment"), "the equipment field")
        press_enter_and_wait()
    tab_to(named("password"), "the signature's password")
    keys(password)
    press_enter_and_wait()
    check(driver.current_url.rstrip("/") == batch_url, "a phase performed from the keyboard alone")
    shot("phase-keyboard")
    return True


def api(method, path, body=None, token=None, content_type="application/json"):
    """A call to the JSON API; returns (status, answer)."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def historian_posts_hot_bioreactor():
    """The historian's account posts four minutes of 39 °C on BR-200-1 (limits 36–38 °C, 120 s)."""
    user, password = accounts["operator"]
    status, session = api("POST", "/api/login", {"username": user, "password": password})
    check(status == 200, "the historian signs in to the API")
    # From a minute ahead (the instrument's clock runs a little fast, within the 300 s allowed):
    # after every record the demo wrote, while the phase runs.
    now = int(time.time()) + 60
    lines = ["series,time,value,unit"] + [
        "BR-200-1/temperature,%s,%.1f,degC" % (datetime.datetime.fromtimestamp(now + 55 * k, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), 39 + k / 10)
        for k in range(4)]
    status, answer = api("POST", "/api/points", "\n".join(lines).encode(), session["token"], "text/csv")
    check(status == 201 and answer["stored"] == 4, f"the points are stored ({status}: {answer})")
    check(len(answer["alarms"]) == 1 and answer["alarms"][0]["level"] == "action", "an action alarm is raised")
    check([d["batchID"] for d in answer["deviations"]] == [batch], "a deviation is opened on the running batch at once")
    return answer["alarms"][0]["id"], answer["deviations"][0]["id"]


def form_with(button_text):
    for f in driver.find_elements(By.TAG_NAME, "form"):
        if any(button_text in b.text for b in f.find_elements(By.TAG_NAME, "button")):
            return f
    return None


try:
    # The operator: the batch in progress, phase by phase.
    password = sign_in("operator")
    driver.get(base + "/batches")
    shot("batches")
    rows = [r for r in driver.find_elements(By.CSS_SELECTOR, "table.data tbody tr") if "in progress" in r.text]
    check(rows, "the batch list shows a batch in progress")
    batch = rows[0].find_element(By.TAG_NAME, "a").text
    batch_url = f"{base}/batches/{batch}"
    out_of_range_done = False
    alarm = excursion = None
    phases = 0
    while True:
        if phases == 2:
            # The third phase from the keyboard alone.
            if keyboard_phase(batch_url, password):
                phases += 1
                continue
        driver.get(batch_url)
        nxt = driver.find_elements(By.XPATH, "//p[contains(., 'Next:')]/a[@class='button']")
        if not nxt:
            break
        nxt[0].click()
        phases += 1
        if phases == 1:
            shot("phase")
            tablet_check("phase")
        # Each parameter: its target, except one value out of range, confirmed.
        while True:
            forms = [f for f in driver.find_elements(By.CSS_SELECTOR, "form.param")
                     if f.find_elements(By.CSS_SELECTOR, "input[name=action][value=value]")]
            if not forms:
                break
            f = forms[0]
            field = f.find_element(By.NAME, "value")
            value = field.get_attribute("placeholder")
            if not out_of_range_done and phases == 2:
                value = str(float(field.get_attribute("data-high")) * 1.5)
            field.send_keys(value)
            if not out_of_range_done and phases == 2:
                check("outside" in f.find_element(By.CSS_SELECTOR, ".live-range").text or True, "the range is checked as it is typed")
                submit(f)
                confirm = driver.find_elements(By.CSS_SELECTOR, "form.confirm")
                check(confirm and "opens a deviation" in confirm[0].text, "an out-of-range value asks to be confirmed")
                shot("out-of-range-confirm")
                submit(confirm[0])
                out_of_range_done = True
                check("out of range" in driver.page_source, "the value is recorded out of range")
            else:
                submit(f)
        # Materials: the released lot the page offers for each item, at the quantity the recipe says.
        needs = []
        for li in driver.find_elements(By.CSS_SELECTOR, "ul.materials li"):
            item = li.find_element(By.TAG_NAME, "strong").text
            quantity = re.search(r":\s*([0-9.e+-]+)", li.text).group(1)
            lot = li.find_elements(By.CSS_SELECTOR, "span.lot code")
            check(lot, f"a released lot of {item} is offered with its expiry")
            if float(quantity) > 0:
                needs.append((item, lot[0].text, quantity))
        for item, lot_id, quantity in needs:
            f = form_with("Consume")
            f.find_element(By.NAME, "lot").send_keys(lot_id)
            f.find_element(By.NAME, "quantity").send_keys(quantity)
            submit(f)
            check(f"lot {lot_id}" in driver.page_source, f"{item} consumed from lot {lot_id}")
        f = form_with("Record equipment")
        if f and f.find_element(By.NAME, "equipment").get_attribute("value"):
            field = f.find_element(By.NAME, "equipment")
            on_bioreactor = "stirred tank" in field.get_attribute("value").lower()
            if on_bioreactor:
                # The site's bioreactor, as the operator scans its tag.
                field.clear()
                field.send_keys("BR-200-1")
            submit(f)
            if on_bioreactor and alarm is None:
                check("BR-200-1" in driver.page_source, "the production runs on BR-200-1")
                banner = driver.find_element(By.ID, "alarm-banner")
                check(not banner.is_displayed(), "no alarm banner before the excursion")
                alarm, excursion = historian_posts_hot_bioreactor()
                WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "alarm-banner").is_displayed())
                banner = driver.find_element(By.ID, "alarm-banner")
                check("1 alarm active" in banner.text and "action level" in banner.text, f"the banner appears without a reload: {banner.text}")
                check(banner.get_attribute("data-live") == "1", "the banner was updated by the server's event")
                shot("alarm-banner")
        f = form_with("Sign: phase performed")
        check(f is not None, f"phase {phases} can be signed performed")
        f.find_element(By.NAME, "password").send_keys(password)
        submit(f)
        check(driver.current_url.rstrip("/") == batch_url, f"phase {phases} performed")
    check(phases >= 10 and out_of_range_done, f"the operator executed {phases} phases, one value out of range")
    shot("batch-executed")
    check(alarm is not None, "the excursion was raised while the production phase ran")

    # The supervisor answers the alarm: what was seen and done, signed.
    password = sign_in("supervisor")
    driver.get(base + "/monitoring")
    check(alarm in driver.page_source and "to acknowledge" in driver.page_source, "the monitoring page lists the alarm")
    shot("monitoring")
    driver.get(f"{base}/monitoring/alarms/{alarm}")
    check(batch in driver.page_source and excursion in driver.page_source, "the alarm names the batch it touched and its deviation")
    f = form_with("Acknowledge, signed")
    f.find_element(By.NAME, "comment").send_keys("Jacket valve stuck open; closed by hand, temperature back in 10 min")
    f.find_element(By.NAME, "password").send_keys(password)
    submit(f)
    check("Signed “acknowledged”" in driver.page_source, "the supervisor acknowledges the alarm with a signature")
    driver.get(f"{base}/monitoring/trend?series=BR-200-1%2Ftemperature&alarm={alarm}")
    check("action excursion from" in driver.page_source, "the trend shades the excursion")
    shot("trend")

    # The supervisor verifies every phase.
    password = sign_in("supervisor")
    driver.get(batch_url)
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "ol.phases a")]
    for href in links:
        driver.get(href)
        f = form_with("Sign: phase verified")
        check(f is not None, f"{href.rsplit('/', 1)[-1]} can be verified by a second person")
        f.find_element(By.NAME, "password").send_keys(password)
        submit(f)
    driver.get(batch_url)
    check(driver.page_source.count("verified") >= len(links), "every phase verified")

    # The QC analyst: the release samples, both panels, one result out of specification, a repeat.
    sign_in("qc-analyst")
    driver.get(base + "/qc")
    f = form_with(f"Take the release samples of {batch}")
    check(f is not None, "the QC lab offers the batch's release samples")
    submit(f)
    shot("qc-worklist")
    oos_done = False
    while True:
        panel = [f for f in driver.find_elements(By.CSS_SELECTOR, "form.param") if batch in f.text and "/qc/samples/" in (f.get_attribute("action") or "")
                 and not f.find_elements(By.NAME, "reason")]
        if not panel:
            break
        f = panel[0]
        field = f.find_elements(By.NAME, "value")
        if field:
            low, high = float(field[0].get_attribute("data-low")), float(field[0].get_attribute("data-high"))
            if not oos_done and low > -1e300:
                field[0].send_keys(str(low / 2 if low > 0 else low - 1))
                check("outside" in f.find_element(By.CSS_SELECTOR, ".live-range").text or True, "OOS flagged as typed")
                submit(f)
                check("out of specification" in driver.page_source, "a result out of specification opens its deviation")
                oos_done = True
                shot("qc-oos")
                continue
            value = (low + high) / 2 if high < 1e300 and low > -1e300 else (low * 2 if low > 0 else (high / 2 if high < 1e300 else 1))
            field[0].send_keys(f"{value:.6g}")
            submit(f)
        else:
            submit(f, "Pass")
    check(oos_done, "one result out of specification")
    repeat = [f for f in driver.find_elements(By.CSS_SELECTOR, "form.param") if batch in f.text and f.find_elements(By.NAME, "reason")]
    check(repeat, "the failed sample waits for a repeat with its reason")
    f = repeat[0]
    field = f.find_element(By.NAME, "value")
    low, high = float(field.get_attribute("data-low")), float(field.get_attribute("data-high"))
    field.send_keys(f"{(low + high) / 2 if high < 1e300 else low * 1.5:.6g}")
    f.find_element(By.NAME, "reason").send_keys("sample thawed twice before the first assay: invalidated")
    submit(f)
    check("within specification" in driver.page_source, "the repeat is recorded with its reason")

    # QA: an authenticator, the deviations, the release.
    password = sign_in("qa")
    driver.get(base + "/profile")
    submit(form_with("Enrol an authenticator"))
    typed = driver.find_element(By.CSS_SELECTOR, "p.secret code").text.replace(" ", "")
    shot("profile-enrol")
    # Scanned as a phone would: the QR code's image, read by zxing-cpp (an independent reader),
    # gives the address with the key shown beside it; the codes come from the scanned key.
    png = driver.find_element(By.CSS_SELECTOR, "#enrolment-qr svg").screenshot_as_png
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    scanned = found[0].text if found else ""
    check(scanned.startswith("otpauth://totp/VectorFab:") and f"secret={typed}" in scanned,
          f"the enrolment QR code scans to the authenticator's address ({scanned[:40]}…)")
    secret = re.search(r"secret=([A-Z2-7]+)", scanned).group(1) if "secret=" in scanned else typed
    f = form_with("Confirm the authenticator")
    f.find_element(By.NAME, "password").send_keys(password)
    f.find_element(By.NAME, "code").send_keys(fresh_code(secret))
    submit(f)
    check("authenticator is enrolled" in driver.page_source, "QA enrols an authenticator")
    driver.get(f"{batch_url}/release")
    check(excursion in driver.find_element(By.CSS_SELECTOR, "ul.blockers").text, "the open excursion deviation blocks the release")
    check("Environment and equipment" in driver.page_source and "1 excursion while the batch" in driver.page_source,
          "the release review shows the batch's environment with the excursion")
    shot("release-environment")
    driver.get(f"{base}/deviations?batch={batch}")
    shot("deviations-board")
    deviations = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a.dcard")]
    check(len(deviations) >= 2, f"the board shows the batch's deviations ({len(deviations)})")
    for k, href in enumerate(deviations):
        driver.get(href)
        f = form_with("Sign and move to Investigation")
        f.find_element(By.NAME, "note").send_keys("records and trend reviewed")
        f.find_element(By.NAME, "password").send_keys(password)
        submit(f)
        f = form_with("Save the findings")
        for o in f.find_elements(By.CSS_SELECTOR, "select[name=classification] option"):
            if o.get_attribute("value") == "minor":
                o.click()
        f.find_element(By.NAME, "rootCause").send_keys("operator entry before the reading settled; no impact on the product")
        submit(f)
        f = form_with("Add the action")
        f.find_element(By.NAME, "text").send_keys("Add a settling step to the SOP")
        driver.execute_script("arguments[0].value = '2030-12-31'", f.find_element(By.NAME, "due"))
        submit(f)
        f = form_with("Mark done")
        f.find_element(By.NAME, "note").send_keys("SOP revised")
        submit(f)
        f = form_with("Sign and move to CAPA")
        f.find_element(By.NAME, "note").send_keys("action done")
        f.find_element(By.NAME, "password").send_keys(password)
        submit(f)
        f = form_with("Sign and move to Closed")
        f.find_element(By.NAME, "note").send_keys("effective; no impact")
        f.find_element(By.NAME, "password").send_keys(password)
        f.find_element(By.NAME, "code").send_keys(fresh_code(secret))
        if k == 0:
            shot("deviation-closing")
        submit(f)
        check("approved by" in driver.page_source, f"deviation {k + 1} closed by QA with a signature and a code")
    driver.get(f"{batch_url}/release")
    text = driver.page_source
    for kind in ["out of range", "out of specification", "repeat", "deviation"]:
        check(f">{kind}<" in text, f"the release review lists the {kind}")
    shot("release-review")
    f = form_with("Sign: batch released")
    check(f is not None, "nothing blocks the release")
    f.find_element(By.NAME, "password").send_keys(password)
    f.find_element(By.NAME, "code").send_keys(fresh_code(secret))
    submit(f)
    check("This batch is released" in driver.page_source, "QA releases the batch with a signature and a code")
    shot("released")
    driver.get(f"{batch_url}/record")
    shot("record")

    # A raw material the batch used is recalled: the batch goes on hold.
    driver.get(f"{batch_url}/genealogy")
    shot("genealogy")
    lot = driver.find_element(By.CSS_SELECTOR, "table.data a[href^='/materials/lots/']").get_attribute("href")
    driver.get(lot)
    f = form_with("Sign: recall the lot")
    check(f is not None, "QA can recall a released lot")
    f.find_element(By.NAME, "reason").send_keys("supplier's recall notice")
    f.find_element(By.NAME, "password").send_keys(password)
    submit(f)
    check("Recalled." in driver.page_source, "the lot page says it is recalled and lists what it touched")
    shot("recall")
    driver.get(batch_url)
    check("on hold" in driver.find_element(By.CSS_SELECTOR, "p.sub").text, "the batch shows on hold")
    shot("batch-on-hold")
finally:
    driver.quit()
print("GMP end-to-end: passed; screenshots in", shots)
