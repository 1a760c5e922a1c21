"""The HTML report: only references files that exist; players for every step."""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser

import soundfile as sf


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.refs.append((tag, value))


def test_report_references_only_existing_files(eval_results):
    index = eval_results["report"]
    folder = os.path.dirname(index)
    parser = _Refs()
    with open(index, encoding="utf-8") as f:
        parser.feed(f.read())
    assert parser.refs
    for tag, ref in parser.refs:
        assert "://" not in ref and not os.path.isabs(ref), ref  # static, self-contained
        assert os.path.isfile(os.path.join(folder, ref)), ref
    audio = [r for t, r in parser.refs if t == "audio"]
    images = [r for t, r in parser.refs if t == "img"]
    # 1 pair: source, target, 5 model steps, 5 crossfade steps; 1 reconstruction example x 3.
    assert len(audio) == 2 + 5 + 5 + 3
    assert len(images) == 3 + 1  # inputs, model, crossfade; one reconstruction
    for ref in audio:
        info = sf.info(os.path.join(folder, ref))
        assert info.samplerate == eval_results["settings"]["sample_rate"] and info.frames > 0
    with open(os.path.join(folder, "results.json"), encoding="utf-8") as f:
        assert json.load(f)["report"] == index
    assert not [n for n in os.listdir(os.path.dirname(folder)) if n.startswith(".report-")]
