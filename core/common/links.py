"""A Space's settings and tab in its page's URL: a link a teacher sends opens the same view.

`Link({"seeds": seeds_box, "psi": psi_slider}, tabs)` inside a Space's `gr.Blocks`:
- the browser writes the query string itself (`history.replaceState` from a `js=` event, no server call) whenever a
  control or the tab changes; a value at its default is left out, so a default view's URL stays bare;
- `link.restore(demo, shown=[Shown(fn, inputs, outputs), ...])` adds the Space's one load event: it reads the
  query, sets the controls and the tab, and in the same call returns every shown result whose inputs the link left
  at their defaults (cached: a bare page view is one call to the server, not one per result; 30 students open a
  page at once). A result whose inputs a link changed runs as an event of its own after it (with its progress);
  `link.run_if_set(...)` runs a button's result only when the link set one of its inputs;
- `copy_button()`, beside each result, copies the current URL and says so.

Values from a URL are hostile: each is parsed, then checked against its component by `edge.check_payload` (the
same check a Gradio request gets); an unknown name or a bad value is ignored and the default stays. Uploaded images
never go into a link; an example does, by its index (`examples={"example": gr.Examples(...)}`).
Gradio is imported lazily, so `core` imports without it.
"""

import inspect
import json
import math
from collections.abc import Mapping, Sequence

from core.common import edge

COPY_LABEL = "🔗 Copy link"
COPIED_LABEL = "✓ Link copied"
READY = "manifoldLinkRead"  # set in the browser once the page's link has been read
NOTE_WITH_UPLOADS = "The link holds these settings and an example's number, never a photo you uploaded."

LOAD_CONCURRENCY = 4  # page views served at once per Space


class Shown:
    """A result a page shows on load: `fn(*inputs) -> outputs`. At default settings it is computed in the load
    event's one call (so `fn` should be remembered, `core.common.edge.remember`); `settings` (api_name,
    concurrency_limit, ...) go to the event that runs it when a link changed one of its inputs."""

    def __init__(self, fn, inputs, outputs, **settings):
        self.fn, self.inputs, self.settings = fn, list(inputs), settings
        self.outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def parse_value(component, text: str):
    """A query-string value as this component's value, checked as a request's payload is; ValueError if not."""
    if not isinstance(text, str):
        raise ValueError("expected text")
    kind = type(component).__name__
    if kind in ("Slider", "Number"):
        number = float(text)  # ValueError for junk; nan and inf are refused by the check
        if math.isfinite(number) and number.is_integer():
            number = int(number)
        value = edge.check_payload(component, number)
    elif kind in ("Radio", "Dropdown"):
        if kind == "Dropdown" and component.multiselect:
            raise ValueError("multiselect dropdowns are not linkable")
        matches = [value for _, value in component.choices if str(value) == text]
        value = edge.check_payload(component, matches[0] if matches else text)
    elif kind == "Checkbox":
        if text not in ("true", "false"):
            raise ValueError("expected true or false")
        value = text == "true"
    elif kind == "Textbox":
        value = edge.check_payload(component, text)
    elif kind == "Dataset":  # an example, by its index
        value = edge.check_payload(component, int(text))
    else:
        raise ValueError(f"a {kind} is not linkable")
    return value


def parse_query(query: Mapping[str, str], controls: Mapping) -> dict:
    """{name: value} for every query parameter that names a control and holds a value it accepts; the rest is
    dropped (unknown names, bad values: a link never raises)."""
    values = {}
    for name, component in controls.items():
        if name not in query:
            continue
        try:
            values[name] = parse_value(component, query[name])
        except (ValueError, TypeError, OverflowError):  # edge.UserInputError is a ValueError
            continue
    return values


def _default(component):
    value = component.value
    return value() if callable(value) else value


class Link:
    """The URL <-> controls binding of one Space (create it inside the `gr.Blocks`, after its layout)."""

    def __init__(self, controls: Mapping, tabs=None, examples: Mapping | None = None,
                 shown_first: Mapping[str, int] | None = None):
        """`shown_first`: {example name: index} shown on a page whose link names no example, so that a bare page
        opens on a result (the example's result is cached for the class) rather than an empty upload box."""
        import gradio as gr

        self.controls = dict(controls)
        self.examples = dict(examples or {})
        self.shown_first = dict(shown_first or {})
        if set(self.shown_first) - set(self.examples):
            raise ValueError(f"shown_first names no example: {sorted(set(self.shown_first) - set(self.examples))}")
        self.tabs = tabs
        self.tab_ids = [tab.id for tab in (tabs.children if tabs is not None else [])]
        if None in self.tab_ids:
            raise ValueError("give every gr.Tab an id= so a link can name it")
        clash = set(self.controls) & set(self.examples) | ({"tab"} & (set(self.controls) | set(self.examples)))
        if clash:
            raise ValueError(f"link parameter names used twice: {sorted(clash)}")
        self.restored = gr.State(None)  # the names a link set; changes only when a link set something
        self.loaded = None

    # -- events ---------------------------------------------------------------------------------------------

    def restore(self, demo, shown: Sequence[Shown] = ()):
        """Write the URL on every change (in the browser) and add the one load event that restores a link and
        returns the `shown` results a link left at their defaults; returns that event."""
        import gradio as gr

        names, components = list(self.controls), list(self.controls.values())
        if components:
            defaults = json.dumps([_default(c) for c in components])
            write = f"""(...values) => {{
  if (!window.{READY}) return;
  const names = {json.dumps(names)}, defaults = {defaults};
  const url = new URL(window.location.href);
  names.forEach((name, i) => {{
    const value = values[i];
    if (value === null || value === undefined || JSON.stringify(value) === JSON.stringify(defaults[i]))
      url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }});
  window.history.replaceState(window.history.state, "", url);
}}"""
            gr.on([c.change for c in components], None, components, None, js=write, queue=False)
        for index, tab in enumerate(self.tabs.children if self.tabs is not None else []):
            tab.select(None, None, None, js=_set_param("tab", None if index == 0 else tab.id), queue=False)
        for name, examples in self.examples.items():
            examples.dataset.click(None, examples.dataset, None, js=f"""(index) => {{
  if (!window.{READY}) return;
  const url = new URL(window.location.href); url.searchParams.set({json.dumps(name)}, index);
  window.history.replaceState(window.history.state, "", url);
}}""", queue=False)
            target = examples.inputs[0]
            for event in ("upload", "clear"):  # a photo of the visitor's own: the link names no example
                if hasattr(target, event):
                    getattr(target, event)(None, None, None, js=_set_param(name, None), queue=False)

        targets = [examples.inputs[0] for examples in self.examples.values()]
        shown = list(shown)
        demo.shown_results = shown  # what `core.common.made_ahead` makes ahead and `core.common.warm_up` warms
        # the examples a bare page shows first, by their input (what `core.common.warm_up` warms)
        demo.examples_shown_first = {id(examples.inputs[0]): examples.examples[self.shown_first[name]][0]
                                     for name, examples in self.examples.items() if name in self.shown_first}
        # what the shown results read, each component once (the browser sends their values: the defaults)
        result_inputs = list({id(c): c for result in shown for c in result.inputs}.values())
        # each result's outputs once, after the link's own (a result may also update a control: it wins)
        link_outputs = [*components, *targets, self.restored]
        result_outputs = [c for c in {id(c): c for r in shown for c in r.outputs}.values()
                          if all(c is not o for o in link_outputs)]
        # a result a link changed runs as an event of its own, after the load, when its `pending` state is set
        pending = [gr.State(None) for _ in shown]
        by_id = {id(c): n for n, c in self.controls.items()}
        by_id.update({id(t): n for n, t in zip(self.examples, targets, strict=True)})

        def read(request: gr.Request, *inputs):  # Gradio passes the request by its position
            query = dict(request.query_params) if request is not None else {}
            values = parse_query(query, self.controls)
            values = {n: v for n, v in values.items() if v != _default(self.controls[n])}
            chosen = parse_query(query, {n: e.dataset for n, e in self.examples.items()})
            first = {n: i for n, i in self.shown_first.items() if n not in chosen}  # not in the link: not "restored"
            picked = {**first, **chosen}
            out = {id(c): values.get(n, gr.skip()) for n, c in self.controls.items()}
            out.update({id(t): self.examples[n].examples[picked[n]][0] if n in picked else gr.skip()
                        for n, t in zip(self.examples, targets, strict=True)})
            restored = tuple(sorted({*values, *chosen}))
            out[id(self.restored)] = restored if restored else gr.skip()
            out.update({id(c): gr.skip() for c in (*result_outputs, *pending)})
            browser = dict(zip((id(c) for c in result_inputs), inputs, strict=True))
            for result, flag in zip(shown, pending, strict=True):
                args = [browser[id(c)] for c in result.inputs]
                changed = {by_id.get(id(c)) for c in result.inputs} & {*values, *picked}
                cold = getattr(result.fn, "is_cached", None) is not None and not result.fn.is_cached(*args)
                if changed or cold:
                    # its own event, with its own progress: a link's new settings, or a result not computed yet (the
                    # first visit after a start: the page fills in as each is ready, not all at the end). The
                    # settings the link set travel with it: that event may start before the browser has shown
                    # every restored value (CI saw a link's steps=4 drawn with the default 8)
                    link_args = {i: values[by_id[id(c)]] for i, c in enumerate(result.inputs)
                                 if by_id.get(id(c)) in values}
                    out[id(flag)] = (tuple(sorted(changed)) if changed else ("cold",), link_args)
                    continue
                handler = getattr(result.fn, "served", result.fn)  # a remembered result's pictures as files
                try:
                    answer = handler(*args)
                except (gr.Error, ValueError) as error:  # this result's message; the page's others still come
                    gr.Warning(edge.user_message(handler, error))
                    continue
                answer = answer if len(result.outputs) > 1 else (answer,)
                out.update({id(c): v for c, v in zip(result.outputs, answer, strict=True)})
            # one answer, not a generator: Gradio fires a State's change (the deferred results, `run_if_set`) only
            # from an event's last message
            return tuple(out[id(c)] for c in (*link_outputs, *result_outputs, *pending))

        # several page views at once: Gradio runs one job per event at a time unless told, and thirty students
        # opening a page then queued behind each other for cached results (a cold one is computed once: remember
        # is single-flight)
        self.loaded = demo.load(read, result_inputs, [*link_outputs, *result_outputs, *pending], api_name=False,
                                show_progress="full" if result_outputs else "hidden",
                                show_progress_on=result_outputs or None, concurrency_limit=LOAD_CONCURRENCY)
        for result, flag in zip(shown, pending, strict=True):
            flag.change(_with_link_values(result.fn), [flag, *result.inputs], result.outputs,
                        **{"api_name": False, **result.settings})
        # The link is read: from now on the page writes its URL. (Tabs fire select as they mount, which would
        # overwrite a link's tab before it is read.) Gradio 6.31 ignores gr.Tabs(selected=...) from a load event,
        # so the browser clicks the link's tab, if it is one of this Space's.
        self.loaded.then(None, None, None, js=f"""() => {{
  window.{READY} = true;
  const tab = new URL(window.location.href).searchParams.get("tab");
  if ({json.dumps(self.tab_ids)}.includes(tab))
    document.querySelector(`button[role=tab][data-tab-id="${{tab}}"]`)?.click();
}}""", queue=False)
        return self.loaded

    def run_if_set(self, fn, inputs: list, outputs: list, **settings):
        """Run `fn` once a link has set any of `inputs` (a result a button computes; a bare page never runs it)."""
        import gradio as gr

        by_id = {id(c): n for n, c in self.controls.items()}
        by_id.update({id(e.inputs[0]): n for n, e in self.examples.items()})
        wanted = {by_id[id(c)] for c in inputs if id(c) in by_id}

        def when_restored(restored, *values):
            if not wanted & set(restored or ()):
                return gr.skip() if len(outputs) == 1 else tuple(gr.skip() for _ in outputs)
            return fn(*values)

        return self.restored.change(when_restored, [self.restored, *inputs], outputs, api_name=False, **settings)


def _with_link_values(fn):
    """`fn` for a result the load deferred: called with the values the link set (carried by its `pending` flag:
    (why, {input index: value})) and the browser's for the rest. Keeps `fn`'s served form (remembered pictures
    as files, `core.common.edge.remember`), its streaming, and its signature after the flag (Gradio reads it for
    gr.Progress and gr.Request)."""
    fn = getattr(fn, "served", fn)

    def arguments(flag, args):
        given = flag[1] if isinstance(flag, tuple) and len(flag) == 2 and isinstance(flag[1], dict) else {}
        return [given.get(i, value) for i, value in enumerate(args)]

    if inspect.isgeneratorfunction(fn):
        def deferred(flag, *args, **kwargs):
            yield from fn(*arguments(flag, args), **kwargs)
    else:
        def deferred(flag, *args, **kwargs):
            return fn(*arguments(flag, args), **kwargs)
    signature = inspect.signature(fn)
    flag = inspect.Parameter("link_flag", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    deferred.__signature__ = signature.replace(parameters=[flag, *signature.parameters.values()])
    deferred.__name__ = deferred.__qualname__ = getattr(fn, "__name__", "deferred")
    return deferred


def copy_button(note: str | None = None):
    """A small button that copies the page's URL (settings, tab, example) and says it did."""
    import gradio as gr

    with gr.Row(equal_height=True):
        button = gr.Button(COPY_LABEL, size="sm", variant="secondary", scale=0, min_width=160,
                           elem_classes="copy-link")
        if note:
            gr.Markdown(f"<small>{note}</small>")
    copy = f"""async () => {{
  const url = window.location.href;
  try {{ await navigator.clipboard.writeText(url); }} catch (error) {{  // plain http: no clipboard API
const box = document.createElement("textarea"); box.value = url; document.body.appendChild(box);
box.select(); document.execCommand("copy"); box.remove();
  }}
  return {json.dumps(COPIED_LABEL)};
}}"""
    back = f"() => new Promise(done => setTimeout(() => done({json.dumps(COPY_LABEL)}), 2500))"
    button.click(None, None, button, js=copy, queue=False).then(None, None, button, js=back, queue=False)
    return button


def _set_param(name: str, value) -> str:
    """JS that sets (or, for None, removes) one query parameter in place."""
    change = (f"url.searchParams.delete({json.dumps(name)})" if value is None
              else f"url.searchParams.set({json.dumps(name)}, {json.dumps(str(value))})")
    return f"""() => {{
  if (!window.{READY}) return;
  const url = new URL(window.location.href); {change};
  window.history.replaceState(window.history.state, "", url);
}}"""
