"""manifold-lab Spaces: one folder per Gradio app, served together by `python -m spaces`."""
