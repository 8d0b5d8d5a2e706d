"""A real browser, continued (test_browser.py): a shared link shows what its settings show by hand, every Space's
page loads without a failed request, and a player plays a whole quiz. A file of its own so that CI's test processes
share the browser journeys (each file runs in one process)."""

import re
import time

import pytest

from bench.toolkit.pages import IDLE, SNAPSHOT, settled
from spaces.registry import discover

pytestmark = pytest.mark.browser


@pytest.mark.slow
@pytest.mark.parametrize("name", [s.name for s in discover()])
def test_every_space_loads_without_failed_requests(page, served_spaces, name):
    failures = []
    page.on("response", lambda response: failures.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    page.goto(f"{served_spaces.url}/{name}/")
    page.locator("h1").first.wait_for(timeout=30_000)
    # the load events have run (no progress bar or pending output left) and what they show has arrived
    page.wait_for_function("() => !document.querySelector('.pending, .eta-bar') && "
                           "[...document.images].every(i => i.complete)", timeout=60_000)
    assert not failures, failures


@pytest.mark.slow
def test_a_player_plays_a_whole_quiz_and_sees_the_summary(page, served_spaces):
    page.goto(f"{served_spaces.url}/which-face-is-real/")
    page.get_by_role("button", name="New game").click()
    page.get_by_text("Round 1 of 10").wait_for(timeout=30_000)
    for round_number in range(1, 11):
        page.get_by_text(f"Round {round_number} of 10").wait_for(timeout=30_000)
        page.get_by_role("button", name="A is real").click()
        page.get_by_text("the real photo was").wait_for(timeout=30_000)
        # the judge's evidence over both faces, A | B, once the answer is out
        page.wait_for_function("() => [...document.images].some(i => i.naturalWidth === 392 && i.naturalHeight === 192)",
                               timeout=30_000)
        if round_number == 1:
            page.screenshot(path=str(served_spaces.screenshot_dir / "which-face-is-real-evidence.png"), full_page=True)
        if round_number < 10:
            page.get_by_role("button", name="Next pair").click()
            page.get_by_text("Which one is the photo, A or B?").wait_for(timeout=30_000)
            assert not page.get_by_text("the real photo was").is_visible()
    page.get_by_text("Game over:").wait_for(timeout=30_000)
    assert page.get_by_text("all players so far").is_visible()
    assert page.get_by_text("the GAN's discriminator, on your 10 pairs").is_visible()
    assert page.get_by_role("button", name="Next pair").is_disabled()  # the game is over: only New game
    assert page.get_by_role("button", name="A is real").is_disabled()
    page.screenshot(path=str(served_spaces.screenshot_dir / "which-face-is-real.png"), full_page=True)


SNAPSHOT_AND_LINK = f"() => location.search + ({SNAPSHOT})()"


# A shared link of each Space: (Space, tab, query string, the same settings made by hand). Hand steps: ("slider",
# label, value) types into a slider's box, ("number"/"text", label, value) fills a box and presses Enter, ("radio",
# label, choice) picks a choice, ("example", index, None) clicks an example, ("button", name, None) clicks it.
SHARED_LINKS = [
    ("pca", "Eigen-images", "tab=eigen&set=faces&image=5&k=20",
     [("radio", "Image set", "faces"), ("slider", "Image", "5"), ("slider", "k: components kept", "20")]),
    ("image-manifold", "Interpolation", "tab=interpolation&from=10&steps=5",
     [("slider", "From test image #", "10"), ("slider", "Steps", "5")]),
    ("autoencoder", "Interpolate", "tab=interpolate&from=7&steps=4",
     [("slider", "From digit #", "7"), ("slider", "Steps", "4")]),
    ("denoising", "Digits (denoising autoencoder)", "tab=digits&digit=3&digit_level=60",
     [("slider", "Digit #", "3"), ("slider", "Noise level", "60")]),
    ("super-resolution", None, "example=1&window=128", [("example", 1, None), ("slider", "window side (output pixels)", "128")]),
    ("colorization", None, "example=1&T=0.3",
     [("example", 1, None), ("button", "Colourize", None), ("slider", "Annealed-mean temperature T", "0.3")]),
    ("gan", "Interpolation", "tab=interpolation&from=4&steps=5&path=linear+in+z",
     [("number", "From seed", "4"), ("slider", "Steps", "5"), ("radio", "Path", "linear in z")]),
    ("diffusion", "Denoiser vs diffusion", "tab=denoise&t=300&noise_seed=2",
     [("slider", "Noise level t", "300"), ("number", "Noise seed", "2")]),
]


def by_hand(page, steps) -> None:
    for kind, label, value in steps:
        if kind == "slider":
            # a typed value: Gradio's slider box fires `input` for it, never `release`, so every Space must listen
            # to `input`; the page must change (its result or link) before the next step
            before = page.evaluate(SNAPSHOT_AND_LINK)
            box = page.get_by_label(f"number input for {label}").locator("visible=true").first
            box.fill(value)
            page.wait_for_function(f"before => ({SNAPSHOT_AND_LINK})() !== before", arg=before, timeout=60_000)
            assert box.input_value() == value
        elif kind in ("number", "text"):
            box = page.get_by_label(label, exact=True).locator("visible=true").first
            box.fill(value)
            box.press("Enter")
        elif kind == "radio":
            page.locator("fieldset:visible").filter(has_text=label).get_by_label(value, exact=True).check()
        elif kind == "example":
            page.locator(".gallery-item:visible").nth(label).click()
        elif kind == "button":
            page.get_by_role("button", name=label).locator("visible=true").first.click()
        page.wait_for_timeout(300)
        page.wait_for_function(IDLE, timeout=90_000)  # one change at a time, as a person makes them


def comparable(snapshot: str) -> str:
    """Timings differ from run to run, and an example photo's copy lands in a new cache folder; the rest must not
    (results are files named by their content's hash)."""
    return re.sub(r"/[0-9a-f]{64}/(?!image\.png)", "/_/", re.sub(r"\d+ ms\b", "_ ms", snapshot))


@pytest.mark.slow
@pytest.mark.parametrize("space, tab, query, steps", SHARED_LINKS, ids=[c[0] for c in SHARED_LINKS])
def test_a_shared_link_shows_what_its_settings_show_by_hand(page, served_spaces, space, tab, query, steps):
    """Set the controls by hand, copy the page's link; the link, opened fresh, shows the same result and tab. Each
    Space's steps type into one of its sliders (by_hand checks that the page answers a typed value)."""
    from urllib.parse import parse_qs, urlsplit

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{served_spaces.url}/{space}/")
    page.locator("h1").first.wait_for(timeout=30_000)
    settled(page)
    if tab:
        page.get_by_role("tab", name=tab, exact=True).click()
    by_hand(page, steps)
    made_by_hand = comparable(settled(page))
    assert parse_qs(urlsplit(page.url).query) == parse_qs(query)  # the page wrote its own link
    copy = page.locator(".copy-link:visible").first
    copy.click()
    page.get_by_text("Link copied").first.wait_for(timeout=5_000)
    assert page.evaluate("navigator.clipboard.readText()") == page.url

    shared = page.context.new_page()
    shared.goto(f"{served_spaces.url}/{space}/?{query}")
    shared.locator("h1").first.wait_for(timeout=30_000)
    if tab:
        shared.get_by_role("tab", name=tab, exact=True).and_(shared.locator("[aria-selected=true]")).wait_for(
            timeout=30_000)
    shown = shows_in_time(shared, made_by_hand)
    if shown != made_by_hand:  # what the link's page shows, for the one who reads the failure
        shared.screenshot(path=str(served_spaces.screenshot_dir / f"shared-link-{space}-differs.png"), full_page=True)
        controls = shared.evaluate("() => [...document.querySelectorAll('input')].filter(i => i.offsetParent)"
                                   ".map(i => (i.getAttribute('aria-label') || i.type) + '=' + i.value).join('; ')")
        raise AssertionError(f"the link's page differs (its controls: {controls}):\n" + difference(made_by_hand, shown))


def difference(by_hand: str, shown: str) -> str:
    """What differs between two snapshots, piece by piece (image URLs, lines of text): by hand -, link +."""
    import difflib

    def pieces(snapshot):
        return [piece for line in snapshot.split("\n") for piece in line.split(",http")]

    return "\n".join(line for line in difflib.unified_diff(pieces(by_hand), pieces(shown), lineterm="", n=0)
                     if not line.startswith(("---", "+++", "@@")))


def shows_in_time(page, expected: str, timeout_s: float = 60) -> str:
    """The page's comparable snapshot once it equals `expected`, or its last one after `timeout_s`: on a busy
    machine a link's own events can start after the page has looked settled for a moment."""
    deadline = time.monotonic() + timeout_s
    while True:
        now = comparable(settled(page))
        if now == expected or time.monotonic() > deadline:
            return now
        page.wait_for_timeout(1000)
