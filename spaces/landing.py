"""The landing page: one card per Space, in lecture order (plain HTML: loads instantly, no JS)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from spaces.registry import SpaceInfo

DEPLOYMENT_RECORD = Path(__file__).resolve().parent / "deployment.json"  # written by `python -m spaces.publish`

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>manifold-lab: Image Manifolds &amp; Image Generation</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 0; background: #f6f7fb; color: #1d2433; }}
  header {{ padding: 2.5rem 1.5rem 1rem; max-width: 70rem; margin: auto; }}
  h1 {{ margin: 0 0 .4rem; font-size: 2rem; }}
  header p {{ margin: 0; color: #4a5368; max-width: 48rem; line-height: 1.5; }}
  main {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); gap: 1rem;
         padding: 1rem 1.5rem 3rem; max-width: 70rem; margin: auto; }}
  a.card {{ display: block; background: #fff; border-radius: .8rem; padding: 1.1rem 1.2rem;
           text-decoration: none; color: inherit; box-shadow: 0 1px 3px #0002; transition: transform .1s; }}
  a.card:hover {{ transform: translateY(-2px); box-shadow: 0 4px 12px #0002; }}
  .step {{ color: #7a8194; font-size: .8rem; }}
  .card h2 {{ margin: .2rem 0 .4rem; font-size: 1.15rem; }}
  .card p {{ margin: 0; color: #4a5368; line-height: 1.4; }}
  .unavailable {{ background: #eee; color: #7a8194; padding: 1.1rem 1.2rem; border-radius: .8rem; }}
  .starting {{ float: right; font-size: .75rem; color: #8a6d00; background: #fff4c2; border-radius: 1rem;
              padding: .1rem .55rem; }}
  .empty {{ grid-column: 1 / -1; color: #7a8194; }}
  .online {{ margin-top: .6rem !important; }}
  footer {{ text-align: center; color: #7a8194; font-size: .85rem; padding-bottom: 2rem; }}
</style>
</head>
<body>
<header>
  <h1>manifold-lab</h1>
  <p>Interactive companions to the lecture <em>Image Manifolds &amp; Image Generation</em>: from PCA
  and the manifold of natural images to autoencoders, image-to-image prediction, GANs and diffusion.
  Each card opens one app; every app runs real models trained by this project.</p>{online}
</header>
<main>
{cards}
</main>
<footer>{count} apps &middot; each one also runs alone: <code>python spaces/&lt;name&gt;/app.py</code></footer>
</body>
</html>
"""

CARD = """<a class="card" href="{href}/" id="space-{name}">
  <span class="step">{step:02d} &middot; {name}</span>{badge}
  <h2>{emoji} {title}</h2>
  <p>{point}</p>
</a>"""

STARTING_BADGE = '<span class="starting">starting&hellip;</span>'

WAITING = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{refresh}
<title>{title}: starting</title>
<style>
  body {{ font-family: system-ui, sans-serif; background: #f6f7fb; color: #1d2433; display: grid;
         place-items: center; min-height: 90vh; margin: 0; }}
  div {{ background: #fff; border-radius: .8rem; padding: 2rem 2.5rem; box-shadow: 0 1px 3px #0002;
        max-width: 32rem; text-align: center; }}
  p {{ color: #4a5368; line-height: 1.5; }}
</style>
</head>
<body><div id="waiting">
  <h1>{emoji} {title}</h1>
  <p>{message}</p>
  <p><a href="../">&larr; all apps</a></p>
</div></body>
</html>
"""


UNAVAILABLE = """<div class="card unavailable" id="space-{name}">
  <span class="step">{step:02d} &middot; {name}</span>
  <h2>{emoji} {title}</h2>
  <p>Not available right now: {reason}</p>
</div>"""


def online_link(record: Path = DEPLOYMENT_RECORD) -> str:
    """A line linking the published course (its Hub collection), once `spaces.publish` has put it online."""
    try:
        deployed = json.loads(record.read_text(encoding="utf-8"))
        url, namespace = str(deployed["collection"]), str(deployed["namespace"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    if not url.startswith(("https://", "http://")):
        return ""
    return (f'\n  <p class="online">Online as Hugging Face Spaces under <b>{escape(namespace)}</b>: '
            f'<a href="{escape(url)}">the course collection</a>.</p>')


def render_landing(spaces: list[SpaceInfo], failed: dict[str, str] | None = None,
                   ready: set[str] | None = None, record: Path = DEPLOYMENT_RECORD) -> str:
    """`ready`: the Spaces loaded so far (None: all of them); the others carry a "starting" badge."""
    failed = failed or {}
    cards = "\n".join(
        (UNAVAILABLE if s.name in failed else CARD).format(
            href=escape(s.path), name=escape(s.name), step=i, emoji=escape(s.emoji), title=escape(s.title),
            point=escape(s.lecture_point), reason=escape(failed.get(s.name, "")),
            badge="" if ready is None or s.name in ready else STARTING_BADGE)
        for i, s in enumerate(spaces, start=1)
    ) or '<p class="empty">No Spaces found under spaces/.</p>'
    return PAGE.format(cards=cards, count=len(spaces) - len(failed), online=online_link(record))


def render_waiting(space: SpaceInfo, error: str | None = None) -> str:
    """The page a Space's link shows while it loads (it reloads itself every 2 s), or why it cannot start."""
    if error is None:
        message, refresh = ("This app is starting (its models are loading); the page opens by itself in a few "
                            "seconds."), '<meta http-equiv="refresh" content="2">'
    else:
        message, refresh = f"This app could not start: {escape(error)}", ""
    return WAITING.format(refresh=refresh, title=escape(space.title), emoji=escape(space.emoji), message=message)
