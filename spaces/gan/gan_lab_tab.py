"""The gan Space's "2-D GAN lab" tab: G and D trained live on 2-D points, lesson presets replayed at once.

Load -> handlers -> layout, as app.py; `build_lab_tab()` is called inside the Space's `gr.Blocks`.
"""

from __future__ import annotations

import threading

import gradio as gr

from core.common import edge
from core.common.seeds import MAX_SEED
from core.gan.lab import (
    DISTRIBUTIONS,
    LAB_PRESETS,
    MAX_DISCRIMINATOR_STEPS,
    MAX_STEPS,
    OPTIMIZERS,
    SLOW_MOTION_EVERY,
    SLOW_MOTION_FRAMES,
    LabConfig,
    LabSession,
    replay,
)
from core.gan.lab_figures import game_figure, loss_figure

REPLAYED = ("*A recorded run of this preset, replayed: press **▶ Train** to run it yourself, live, "
            "or change a control first.*")


# -- handlers: a session (the player's gr.State) and a LabConfig in, the session and its views out ----------

def lab_session(session: LabSession | None, config: LabConfig, fresh: bool = False) -> LabSession:
    """The player's session if its settings are still the ones on screen (and it has steps left), else a new one."""
    if fresh or session is None or session.config != config or session.finished:
        return LabSession(config)
    return session


def lab_view(session: LabSession, snap) -> tuple:
    return session, game_figure(snap), loss_figure(snap), snap.status(session.config.steps)


def lab_train(session, config: LabConfig, slow: bool = False):
    """Train on from where the game stands (or afresh if the settings changed): a frame every 100 steps, or
    every 5 in slow motion (which pauses after 40 frames). Ends by itself at its step count, or at Pause."""
    session = lab_session(session, config)
    if slow:
        frames = session.run(snapshot_every=SLOW_MOTION_EVERY, max_frames=SLOW_MOTION_FRAMES)
    else:
        frames = session.run()
    for snap in frames:
        yield lab_view(session, snap)


def lab_step(session, config: LabConfig) -> tuple:
    """One step of the game: D's update(s), then G's, and the arrows of G's gradient where it now stands."""
    session = lab_session(session, config)
    return lab_view(session, next(session.run(steps=1)))


def lab_reset(session, config: LabConfig) -> tuple:
    session = lab_session(session, config, fresh=True)
    return lab_view(session, session.snapshot())


def lab_pause(session) -> None:
    if session is not None:
        session.stopped = True


@edge.remember(maxsize=len(LAB_PRESETS))
def preset_outcome(name: str) -> tuple:
    """A preset's recorded run, at its end, as (game, losses, status): computed once, shown to every visitor."""
    config = LabConfig(**LAB_PRESETS[name][0]).validate()
    snap = replay(name)
    return game_figure(snap), loss_figure(snap), snap.status(config.steps) + " " + REPLAYED


def lab_preset(name: str) -> tuple:
    """Set every control to a preset and show its recorded run's outcome at once; the player's session starts
    at step 0 with those settings, for ▶ Train or ⏭ One step."""
    edge.choice(name, "Lesson preset", tuple(LAB_PRESETS))
    settings, lesson = LAB_PRESETS[name]
    config = LabConfig(**settings).validate()
    return (config, LabSession(config), *preset_outcome(name), lesson)


_warming = threading.Lock()


def warm_presets() -> None:
    """On the first page view, record every preset's run in the background, so a click replays it at once."""
    if _warming.acquire(blocking=False):  # once per process; never released
        threading.Thread(target=lambda: [preset_outcome(name) for name in LAB_PRESETS], name="lab-presets",
                         daemon=True).start()


# -- layout --------------------------------------------------------------------------------------------------

def build_lab_tab(demo: gr.Blocks) -> None:
    """The tab's controls, plots and events (call inside `with gr.Blocks() as demo`, within a `gr.Tab`)."""
    with gr.Row():
        with gr.Column(scale=1):
            preset = gr.Dropdown(list(LAB_PRESETS), value=None, label="Lesson preset",
                                 info="sets every control and replays the lesson's run; then Train it yourself")
            controls = {
                "distribution": gr.Radio(list(DISTRIBUTIONS), value="ring of 8 Gaussians", label="Real data",
                                         info="the ring shows mode collapse best"),
                "loss": gr.Radio(["non-saturating", "minimax"], value="non-saturating", label="G's loss",
                                 info="minimax: G's gradient vanishes while D wins"),
                "optimizer": gr.Radio(list(OPTIMIZERS), value="adam", label="Optimizer",
                                      info="Adam rescales small gradients; SGD moves as far as the gradient says"),
                "generator_lr": gr.Slider(1e-4, 0.1, 1e-3, step=1e-4, label="G learning rate",
                                          info="too fast and G chases D from mode to mode"),
                "discriminator_lr": gr.Slider(1e-4, 0.1, 1e-3, step=1e-4, label="D learning rate",
                                              info="D is G's loss: how quickly that loss changes"),
                "discriminator_steps": gr.Slider(1, MAX_DISCRIMINATOR_STEPS, 1, step=1, label="D steps per G step",
                                                 info="a stronger critic gives G a better signal"),
                "steps": gr.Slider(100, MAX_STEPS, 2000, step=100, label="Training steps",
                                   info="a run always ends after this many steps, however busy the server"),
                "start_offset": gr.Slider(0, 10, 0, step=0.5, label="G starts this far off to the side"),
                "seed": gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Seed",
                                  info="same seed, same run"),
            }
            slow = gr.Checkbox(False, label=f"Slow motion (a frame every {SLOW_MOTION_EVERY} steps, "
                                            f"pausing after {SLOW_MOTION_FRAMES} frames)")
            with gr.Row():
                train = gr.Button("▶ Train", variant="primary")
                pause = gr.Button("⏸ Pause")
            with gr.Row():
                one_step = gr.Button("⏭ One step")
                reset = gr.Button("↺ Reset")
        with gr.Column(scale=2):
            lesson = gr.Markdown("Pick a lesson preset, or set the controls and press **Train**. Green arrows: "
                                 "where G's loss pushes each of its samples (the gradient G follows).")
            game = gr.Plot(label="D's decision surface and G's samples")
            status = gr.Markdown()
    losses = gr.Plot(label="losses")

    state = gr.State(None)
    views = [state, game, losses, status]

    def config_of(values: dict) -> LabConfig:
        return LabConfig.from_values({name: values[control] for name, control in controls.items()})

    def on_train(values: dict):
        yield from lab_train(values[state], config_of(values), values[slow])

    def on_step(values: dict):
        return lab_step(values[state], config_of(values))

    def on_reset(values: dict):
        return lab_reset(values[state], config_of(values))

    def on_preset(name: str):
        config, session, *shown = lab_preset(name)
        return (*(getattr(config, key) for key in controls), session, *shown)

    everything = {state, slow, *controls.values()}
    train.click(on_train, everything, views, api_name="gan_lab", concurrency_limit=2)
    one_step.click(on_step, everything, views, api_name="gan_lab_step", concurrency_limit=2)
    reset.click(on_reset, everything, views, api_name=False)
    pause.click(lab_pause, state, None, api_name=False, queue=False)
    preset.input(on_preset, preset, [*controls.values(), *views, lesson], api_name="gan_lab_preset")
    demo.load(warm_presets, None, None, api_name=False, show_progress="hidden")
