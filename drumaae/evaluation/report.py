"""Evaluation results as a text table (terminal) and as a static HTML report (demo page).

The report folder holds ``index.html`` (tables, figures, ``<audio controls>`` players; inline
CSS, no script), ``results.json``, ``img/*.png`` (matplotlib Agg spectrograms) and
``audio/*.wav``. It is written to a temporary folder beside the target and moved into place,
so a failure leaves nothing half-written. Every ``src``/``href`` is a relative path to a
file in the folder (the tests check this).
"""

from __future__ import annotations

import html
import json
import os
from typing import Any, Sequence

import numpy as np

from drumaae.fileio import StagedFolder, check_out_dir, manifest_header, write_manifest

__all__ = ["format_table", "check_report_dir", "write_report", "to_json", "REPORT_KIND"]


def _f(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    try:
        if np.isnan(x):
            return "nan"
    except TypeError:
        return str(x)
    return f"{float(x):.{digits}f}"


def _quality_cells(q: dict) -> list[str]:
    return [_f(q["lsd_db"], 2), _f(q.get("lsd_env_db"), 2), _f(q.get("mel_db"), 2),
            _f(q["sc"]), _f(q["onset_f"]), _f(q.get("env_corr"))]


def _recon_rows(r: dict) -> list[list[str]]:
    rec = r["reconstruction"]
    rows = [[name] + _quality_cells(rec[key])
            for name, key in (("model (G(E(x)) + Griffin-Lim)", "model"),
                              ("source_GL (true magnitude + Griffin-Lim; ceiling)",
                               "source_gl"))]
    # Per family (a rendered corpus's manifest): the mean hides the worst case.
    for fam, g in (rec.get("per_family") or {}).items():
        rows.append([f"  model, {fam} ({g['bars']} bars)"] + _quality_cells(g["model"]))
        rows.append([f"  source_GL, {fam}"] + _quality_cells(g["source_gl"]))
    return rows


def _interp_rows(r: dict) -> list[list[str]]:
    rows = []
    it = r["interpolation"]
    # at the CLI's tempo first (`tempo`), then at blended tempi (`at_tempo`)
    by_tempo = it.get("at_tempo") or {str(it.get("tempo", "")): it}
    for tempo, summ in by_tempo.items():
        for name, key in (("model (latent interpolation)", "model"),
                          ("crossfade (magnitudes mixed by alpha)", "crossfade")):
            s = summ.get(key) or {}
            if s:
                rows.append(_interp_cells(f"{name}, tempo {tempo}" if tempo else name, s))
    return rows


def _interp_cells(name: str, s: dict) -> list[str]:
    return [name, _f(s["endpoint_f_source"]), _f(s["endpoint_f_target"]),
            _f(s.get("endpoint_env_source")), _f(s.get("endpoint_env_target")),
            _f(s["rho_mean"]), _f(s.get("rho_min")), _f(s.get("rho_ge_0.9_share"), 2),
            _f(s["monotonic_share"], 2), _f(s.get("mid_mix_share")),
            _f(s.get("mid_onset_ratio"), 2)]


def _prior_rows(r: dict) -> list[list[str]]:
    p = r["prior"]
    rows = [["MMD^2 codes vs prior samples", _f(p["mmd"], 4)],
            ["MMD^2 prior vs prior (noise floor)", _f(p["mmd_prior_floor"], 4)],
            ["components used / effective (exp entropy)",
             f"{p['components_used']} / {_f(p['effective_components'], 2)} of "
             f"{len(p['occupancy'])}"],
            ["occupancy", " ".join(_f(x, 2) for x in p["occupancy"])],
            ["mean log p(z) under the prior", _f(p["mean_log_prob"], 2)],
            ["median log p: codes / prior samples / lowest point of code-to-code paths",
             f"{_f(p.get('log_prob_codes_median'), 1)} / {_f(p.get('log_prob_prior_median'), 1)}"
             f" / {_f(p.get('log_prob_path_min_median'), 1)}"],
            ["share the discriminator calls real: codes / prior samples",
             f"{_f(p.get('d_real_share_codes'), 2)} / {_f(p.get('d_real_share_prior'), 2)}"],
            ["code spread (std of codes / std of prior samples; ~0 = collapse)",
             _f(p.get("code_spread"), 3)]]
    lab = p.get("labels")
    if lab:
        rows.append([f"agreement with rhythm labels ({lab['source']})",
                     f"NMI {_f(lab['nmi'])}, ARI {_f(lab['ari'])}, "
                     f"component = label {_f(lab['accuracy'], 2)}"])
    else:
        rows.append(["agreement with rhythm labels", "not measured (too few bars, no labels)"])
    return rows


RECON_HEAD = ["reconstruction", "LSD (dB) lower=better", "LSD 9x3-smoothed (dB) lower=better",
              "mel distance (dB) lower=better", "spectral conv. lower=better", "onset F higher=better",
              "envelope corr higher=better"]
INTERP_HEAD = ["interpolation", "onset F a=0/src", "onset F a=1/tgt", "env corr a=0/src",
               "env corr a=1/tgt", "trend rho", "rho min", "rho>=0.9 share", "monotonic share",
               "a=0.5 mix share (crossfade ~1)", "a=0.5 onsets / endpoints'"]


def _text_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _feature_line(results: dict) -> str:
    rec = results["reconstruction"]
    return (f"feature L1 of the reconstruction {_f(rec['feature_l1'], 4)} vs "
            f"{_f(rec.get('feature_l1_mean_bar'), 4)} for always answering the mean bar")


def format_table(results: dict) -> str:
    """The results as plain-text tables for the terminal."""
    s = results["settings"]
    parts = [
        f"model: {results['model']}",
        f"bars: {s['bars_evaluated']} of {s['bars_total']} from {s['files']} files; "
        f"{s['pairs']} interpolation pairs; Griffin-Lim {s['gl_iters']} iterations; "
        f"seed {s['seed']}",
        "",
        _text_table(RECON_HEAD, _recon_rows(results)),
        _feature_line(results),
        "",
        _text_table(INTERP_HEAD, _interp_rows(results)) if results["interpolation"]["pairs"]
        else "interpolation: fewer than 2 bars, no pairs",
        "",
        _text_table(["prior fit", "value"], _prior_rows(results)),
    ]
    if "report" in results:
        parts += ["", f"report: {results['report']}"]
    return "\n".join(parts)


def to_json(results: dict) -> str:
    """JSON text of the results (NaN written as null)."""

    def clean(x):
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        if isinstance(x, (np.floating, float)):
            return None if not np.isfinite(x) else float(x)
        if isinstance(x, (np.integer,)):
            return int(x)
        if isinstance(x, np.bool_):
            return bool(x)
        return x

    return json.dumps(clean(results), indent=1)


# --- HTML --------------------------------------------------------------------------------

REPORT_KIND = "drumaae.report"


def check_report_dir(path: str | os.PathLike, force: bool) -> None:
    """Refuse to replace an existing report folder unless `force` and it is a drumaae
    report (`fileio.check_out_dir`); a missing parent folder is created when writing."""
    path = os.path.abspath(os.fspath(path))
    if os.path.isdir(os.path.dirname(path)):
        check_out_dir(path, force, REPORT_KIND)


def _html_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _lufs(wave: np.ndarray, sample_rate: int) -> float:
    from drumaae.audio.loudness import integrated_loudness

    return integrated_loudness(np.asarray(wave, np.float32), sample_rate)


def _matched(wave: np.ndarray, sample_rate: int, lufs: float) -> np.ndarray:
    """A report player's audio as the CLI writes it: brought to `lufs` (BS.1770) and
    true-peak limited (`drumaae.audio.loudness.match_loudness`), so the model's steps play
    at their inputs' loudness beside the source."""
    from drumaae.audio.loudness import match_loudness

    return match_loudness(np.asarray(wave, np.float32), sample_rate, lufs).wave


def _figure(waves: Sequence[np.ndarray], labels: Sequence[str], path: str, sample_rate: int,
            title: str, bpms: Sequence[float]) -> None:
    """A report figure: `drumaae.plotting.bars_figure`, the code of every drumaae figure
    (log-frequency axis, time in beats at each bar's tempo, dB colour bar)."""
    from drumaae.plotting import bars_figure

    bars_figure(waves, sample_rate, path, labels=list(labels), bpms=list(bpms), title=title)


CSS = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ccc;padding:.3em .6em;
text-align:left;font-size:.9em}th{background:#f3f3f3}img{max-width:100%}
.steps{display:flex;flex-wrap:wrap;gap:.6em}.step{font-size:.8em;text-align:center}
audio{width:180px;display:block}.note{color:#555;font-size:.9em}
"""


def _player(rel: str, label: str) -> str:
    return (f'<div class="step">{html.escape(label)}<audio controls preload="none" '
            f'src="{html.escape(rel)}"></audio></div>')


def write_report(results: dict, out_dir: str | os.PathLike, *, data, examples: list[dict],
                 recon_examples: list[dict], force: bool = False) -> str:
    """Write the HTML report folder; returns the path of its ``index.html``.

    Args:
        results: what `evaluate` returns.
        out_dir: the report folder (replaced only with `force`).
        data: the `EvalData` evaluated (waveforms of the bars).
        examples: interpolation examples ``{"source": i, "target": j, "model": [waves],
            "crossfade": [waves]}``.
        recon_examples: ``{"index": i, "source", "source_gl", "model"}`` waveforms.
        force: replace an existing folder.
    """
    from drumaae.audio.io import save_wav
    from drumaae.audio.loudness import target_loudness
    from drumaae.inference.operations import step_tempos

    check_report_dir(out_dir, force)
    out_dir = os.path.abspath(os.fspath(out_dir))
    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    with StagedFolder(out_dir, force, kind=REPORT_KIND) as stage:
        tmp = stage.tmp
        os.makedirs(os.path.join(tmp, "audio"))
        os.makedirs(os.path.join(tmp, "img"))
        sr = int(results["settings"]["sample_rate"])
        alphas = results["interpolation"]["alphas"]

        def wav(name: str, wave: np.ndarray) -> str:
            rel = f"audio/{name}.wav"
            save_wav(os.path.join(tmp, rel), np.asarray(wave, np.float32), sr)
            return rel

        def bar_name(i: int) -> str:
            return f"{os.path.basename(data.files[i])} bar {data.bars[i]} ({data.bpms[i]:.1f} BPM)"

        s = results["settings"]
        parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                 f"<title>drumaae evaluation</title><style>{CSS}</style></head><body>",
                 "<h1>drumaae evaluation</h1>",
                 f"<p>Model <code>{html.escape(str(results['model']))}</code>; "
                 f"{s['bars_evaluated']} of {s['bars_total']} bars from {s['files']} files; "
                 f"{s['pairs']} interpolation pairs; Griffin-Lim {s['gl_iters']} iterations; "
                 f"seed {s['seed']}. Full figures: <a href='results.json'>results.json</a>. "
                 "Metrics are defined in docs/evaluation.md.</p>",
                 "<h2>Reconstruction</h2>", _html_table(RECON_HEAD, _recon_rows(results)),
                 f"<p class='note'>{html.escape(_feature_line(results))}</p>",
                 "<h2>Interpolation</h2>"]
        if results["interpolation"]["pairs"]:
            parts.append(_html_table(INTERP_HEAD, _interp_rows(results)))
            sim_rows = []
            for key in ("model", "crossfade"):
                summ = results["interpolation"][key]
                sim_rows.append([f"{key}: similarity to source"]
                                + [_f(v) for v in summ["similarity_to_source"]])
                sim_rows.append([f"{key}: similarity to target"]
                                + [_f(v) for v in summ["similarity_to_target"]])
            parts.append("<p class='note'>Mean onset-envelope similarity of each step to the "
                         "source and target bars (should fall / rise along alpha):</p>")
            parts.append(_html_table(["alpha"] + [f"{a:.2f}" for a in alphas], sim_rows))
        else:
            parts.append("<p>Fewer than two bars: no pairs.</p>")
        parts.append(_html_table(["prior fit", "value"], _prior_rows(results)))

        for p, ex in enumerate(examples):
            i, j = ex["source"], ex["target"]
            row = results["interpolation"]["per_pair"][p]
            parts.append(f"<h2>Pair {p + 1}: {html.escape(bar_name(i))} &rarr; "
                         f"{html.escape(bar_name(j))}</h2>")
            src_rel = wav(f"pair{p:02d}_source", data.waves[i])
            tgt_rel = wav(f"pair{p:02d}_target", data.waves[j])
            img = f"img/pair{p:02d}_inputs.png"
            _figure([data.waves[i], data.waves[j]], ["source", "target"],
                    os.path.join(tmp, img), sr, f"pair {p + 1}: the true bars",
                    [data.bpms[i], data.bpms[j]])
            parts.append(f"<img src='{img}' alt='source and target spectrograms'>")
            parts.append("<div class='steps'>" + _player(src_rel, "source")
                         + _player(tgt_rel, "target") + "</div>")
            # each step at its own tempo (``blend``: the source's to the target's)
            step_bpms = ex.get("bpms") or step_tempos(
                alphas, s.get("interpolation_tempo", "source"), data.bpms[i], data.bpms[j])
            levels = [target_loudness(_lufs(data.waves[i], sr), _lufs(data.waves[j], sr), a)
                      for a in alphas]
            for key, title in (("model", "latent interpolation (model)"),
                               ("crossfade", "spectrogram crossfade (baseline)")):
                labels = [f"\u03b1 = {a:.2f}" for a in alphas]
                img = f"img/pair{p:02d}_{key}.png"
                _figure(ex[key], labels, os.path.join(tmp, img), sr, f"{title}, pair {p + 1}",
                        step_bpms)
                tr = row[key]["trend"]
                parts.append(f"<h3>{html.escape(title)}: rho {_f(tr['rho'])}, "
                             f"{'monotonic' if tr['monotonic'] else 'not monotonic'}</h3>")
                parts.append(f"<img src='{img}' alt='{html.escape(title)} spectrograms'>")
                # players at the loudness the CLI's outputs get (source to target, LUFS)
                players = [_player(wav(f"pair{p:02d}_{key}_{k:02d}_alpha{a:.2f}",
                                       _matched(w, sr, levels[k])), f"\u03b1 = {a:.2f}")
                           for k, (a, w) in enumerate(zip(alphas, ex[key]))]
                parts.append("<div class='steps'>" + "".join(players) + "</div>")

        if recon_examples:
            parts.append("<h2>Reconstruction examples (source, source_GL ceiling, model)</h2>")
        for ex in recon_examples:
            k = ex["index"]
            name = f"recon{k:03d}"
            img = f"img/{name}.png"
            _figure([ex["source"], ex["source_gl"], ex["model"]],
                    ["source", "source_GL", "model"], os.path.join(tmp, img), sr,
                    bar_name(k), [data.bpms[k]] * 3)
            q = results["reconstruction"]["per_bar"][k]
            parts.append(f"<h3>{html.escape(bar_name(k))}: model LSD "
                         f"{_f(q['model']['lsd_db'], 2)} dB, onset F {_f(q['model']['onset_f'])}"
                         f"; source_GL LSD {_f(q['source_gl']['lsd_db'], 2)} dB</h3>")
            parts.append(f"<img src='{img}' alt='spectrograms of {name}'>")
            parts.append("<div class='steps'>"
                         + _player(wav(f"{name}_source", ex["source"]), "source")
                         + _player(wav(f"{name}_source_gl", _matched(
                             ex["source_gl"], sr, _lufs(ex["source"], sr))), "source_GL")
                         + _player(wav(f"{name}_model", _matched(
                             ex["model"], sr, _lufs(ex["source"], sr))), "model")
                         + "</div>")
        parts.append("</body></html>")
        with open(os.path.join(tmp, "index.html"), "w", encoding="utf-8") as f:
            f.write("\n".join(parts))
        final = dict(results, report=os.path.join(out_dir, "index.html"))
        with open(os.path.join(tmp, "results.json"), "w", encoding="utf-8") as f:
            f.write(to_json(final))
        # What --force may replace later: these entries and nothing else in the folder.
        entries = ["index.html", "results.json", "audio", "img"]
        write_manifest(tmp, {**manifest_header(REPORT_KIND),
                             "files": [{"file": e} for e in entries]})
    return os.path.join(out_dir, "index.html")
