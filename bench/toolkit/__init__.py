"""Tools shared by the benches, the tests and `spaces.screenshots` (tests import them from here, never the reverse).

- `raw_gradio`: a raw-HTTP Gradio client (the attacker's), and the payloads it sends (`defaults`, `image_payload`).
- `hostile_inputs`: broken files, odd images and numbers that are not numbers.
- `hub_server`: a small writable Hugging Face Hub on 127.0.0.1 (`serve_writable_hub`).
- `ports`: `free_port()`.

Run from the repository root (`python -m bench.<name>`, pytest): nothing here edits `sys.path`.
"""
