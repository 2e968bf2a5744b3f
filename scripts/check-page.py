#!/usr/bin/env python3
"""Drives the page of `sketch serve` in headless Chromium (selenium, Debian's chromium and
chromium-driver) as a user would, and prints what it saw as one JSON object on the last line.

Steps: load the page and its styles; write a short and a longer text in a style (the drawing is
animated: wait for it to finish) and count the SVG's strokes; download the SVG and the G-code;
draw a line on the canvas with pointer events, use it as the style and write with it; save it as
a style file; take a screenshot. Run by BrowserPageTests (Tests/SketchTests), which checks the
figures; this script checks only that each step happened, and exits 1 with the reason if not.
"""
import argparse
import json
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def fail(message):
    print(json.dumps({"error": message}))
    sys.exit(1)


def wait_for_file(folder, name, timeout=30):
    path = os.path.join(folder, name)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and not os.path.exists(path + ".crdownload") and os.path.getsize(path) > 0:
            return path
        time.sleep(0.2)
    fail(f"the download {name} did not arrive in {folder} within {timeout} s (there: {os.listdir(folder)})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--downloads", required=True)
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--driver", default="/usr/bin/chromedriver")
    args = ap.parse_args()
    os.makedirs(args.downloads, exist_ok=True)
    downloads = os.path.abspath(args.downloads)

    options = webdriver.ChromeOptions()
    options.binary_location = args.chromium
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1500", "--no-first-run", "--disable-extensions"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": downloads, "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=args.driver), options=options)
    except WebDriverException as error:
        fail(f"headless Chromium did not start ({args.chromium} with {args.driver}): {error.msg}")

    report = {}
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
        driver.get(args.url)
        wait = WebDriverWait(driver, 60)
        try:
            wait.until(lambda d: len(Select(d.find_element(By.ID, "style")).options) > 1)
        except TimeoutException:
            fail("the page did not list the model's styles within 60 s: "
                 + driver.find_element(By.ID, "model-info").text)
        report["styles"] = [o.get_attribute("value") for o in Select(driver.find_element(By.ID, "style")).options]
        report["modelInfo"] = driver.find_element(By.ID, "model-info").text
        Select(driver.find_element(By.ID, "speed")).select_by_visible_text("fast")

        def write(text, style=None):
            box = driver.find_element(By.ID, "text")
            box.clear()
            box.send_keys(text)
            if style is not None:
                Select(driver.find_element(By.ID, "style")).select_by_value(style)
            svg = driver.find_element(By.ID, "writing")
            before = driver.execute_script("return performance.now()")
            driver.find_element(By.ID, "write").click()
            try:
                WebDriverWait(driver, 120).until(
                    lambda d: d.find_element(By.ID, "write").is_enabled()
                    and not d.find_element(By.ID, "status").text.startswith("Writing"))
            except TimeoutException:
                fail(f"writing {text!r} did not finish within 120 s")
            status = driver.find_element(By.ID, "status")
            if "error" in (status.get_attribute("class") or ""):
                fail(f"writing {text!r} failed on the page: {status.text}")
            # Mid-animation the SVG holds only some points: look once, then wait for the end.
            partial = driver.execute_script(
                "return [...document.querySelectorAll('#writing path')]"
                ".reduce((n, p) => n + (p.getAttribute('d').match(/[ML]/g) || []).length, 0)")
            try:
                WebDriverWait(driver, 120).until(lambda d: svg.get_attribute("data-done") == "true")
            except TimeoutException:
                fail(f"the drawing of {text!r} did not finish within 120 s")
            elapsed = driver.execute_script("return performance.now()") - before
            points = driver.execute_script(
                "return [...document.querySelectorAll('#writing path')]"
                ".reduce((n, p) => n + (p.getAttribute('d').match(/[ML]/g) || []).length, 0)")
            drawn = len(driver.find_elements(By.CSS_SELECTOR, "#writing path"))
            return {"text": text, "strokes": int(svg.get_attribute("data-strokes")), "paths": drawn,
                    "points": points, "pointsSeenMidway": partial, "status": status.text, "ms": elapsed}

        report["short"] = write("he", "scripts")
        report["long"] = write("he had a bed and a red hat", "scripts")

        driver.find_element(By.ID, "download-svg").click()
        report["svg"] = wait_for_file(downloads, "handwriting.svg")
        driver.find_element(By.ID, "download-gcode").click()
        report["gcode"] = wait_for_file(downloads, "handwriting.gcode")

        # A line on the canvas: pointer events as a mouse sends them (press, moves, release), three
        # strokes of a cursive "lo" shape; offsets are from the canvas's centre.
        pad = driver.find_element(By.ID, "pad")
        strokes = [
            [(-300, 40), (-290, 0), (-280, -40), (-275, -60), (-285, -50), (-290, 0), (-280, 40), (-260, 35)],
            [(-240, 20), (-230, 0), (-215, -5), (-200, 5), (-195, 25), (-210, 40), (-230, 35), (-240, 20)],
            [(-180, 40), (-170, 10), (-160, -10), (-150, 10), (-140, 40)],
        ]
        for stroke in strokes:
            chain = ActionChains(driver, duration=10)
            x0, y0 = stroke[0]
            chain.move_to_element_with_offset(pad, x0, y0).click_and_hold()
            for (x, y), (px, py) in zip(stroke[1:], stroke):
                chain.move_by_offset(x - px, y - py)
            chain.release().perform()
        report["padStrokes"] = driver.execute_script("return state.pad.length")
        report["padPoints"] = driver.execute_script("return state.pad.reduce((n, s) => n + s.length / 2, 0)")
        driver.find_element(By.ID, "pad-text").send_keys("lon")
        driver.find_element(By.ID, "pad-use").click()
        report["styleAfterUse"] = Select(driver.find_element(By.ID, "style")).first_selected_option.get_attribute("value")
        report["primed"] = write("he had a bed")
        report["primedStyle"] = driver.execute_script("return state.written.style")
        driver.find_element(By.ID, "pad-save").click()
        report["styleFile"] = wait_for_file(downloads, "my-handwriting.svg")

        driver.save_screenshot(args.screenshot)
        report["screenshot"] = args.screenshot
        report["consoleErrors"] = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    finally:
        driver.quit()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
