"""The privacy report as a terminal table, JSON and a self-contained HTML page in the style of `gengo profile`."""
from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import asdict
from pathlib import Path

from ..quality.profile import CSS, svg_bars
from .metrics import Fidelity, Privacy
from .tables import atomic_write

TV_LIMIT = KS_LIMIT = 0.1  # what the report marks as a close match


def as_dict(fid: Fidelity, priv: Privacy, model_privacy: dict | None = None) -> dict:
    return {
        "fidelity": {"columns": fid.columns, "pairs": fid.pairs,
                     "max_distance": max((c["distance"] for c in fid.columns), default=0.0),
                     "mean_pair_difference": sum(p["difference"] for p in fid.pairs) / max(len(fid.pairs), 1)},
        "privacy": {**asdict(priv), "exact_copy_rate": priv.exact_copy_rate, "dcr_ok": priv.dcr_ok},
        "model_privacy": model_privacy or {},
    }


def render_html(data: dict, title: str) -> str:
    f, p = data["fidelity"], data["privacy"]
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>",
           f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>",
           f"<div class=\"meta\">{p['rows']:,} synthetic rows &middot; generated {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}</div>"]
    mp = data.get("model_privacy") or {}
    if mp:
        spent = mp.get("spent", {})
        out.append(f"<h2>Differential privacy</h2><table><tr><th>mechanism</th><td>{html.escape(str(mp.get('mechanism')))}</td></tr>"
                   f"<tr><th>budget</th><td>epsilon {mp.get('epsilon')}, delta {mp.get('delta')}</td></tr>"
                   f"<tr><th>spent</th><td>epsilon {spent.get('epsilon', 0):.4g}, rho {spent.get('rho', 0):.4g}</td></tr>"
                   f"<tr><th>unit</th><td>{html.escape(str(mp.get('unit')))}</td></tr></table>")
    out.append("<h2>Privacy</h2><table><tr><th>measure</th><th>synthetic</th><th>real held-out rows</th></tr>")
    out.append(f"<tr><td>exact copies of a real row</td><td class=n>{p['exact_copies']:,} ({p['exact_copy_rate']:.4%})</td><td></td></tr>")
    for key in ("median", "p5"):
        hold = p["dcr_holdout"][key] if p.get("dcr_holdout") else None
        out.append(f"<tr><td>distance to closest real record, {key}</td><td class=n>{p['dcr_synthetic'][key]:.4f}</td>"
                   f"<td class=n>{'' if hold is None else f'{hold:.4f}'}</td></tr>")
    if p.get("mia_auc") is not None:
        out.append(f"<tr><td>membership inference AUC (0.5: no signal)</td><td class=n>{p['mia_auc']:.3f}</td><td></td></tr>")
    out.append("</table><h2>Fidelity per column</h2><div class=\"charts\">")
    cols = f["columns"]
    out.append(f"<figure class=\"chart\" data-chart=\"distance\"><figcaption>TV / KS distance, per mille (close below {TV_LIMIT * 1000:.0f})"
               f"</figcaption>{svg_bars([c['column'] for c in cols], [1000 * c['distance'] for c in cols], horizontal=True)}</figure></div>")
    out.append("<table><tr><th>column</th><th>kind</th><th>metric</th><th>distance</th></tr>")
    for c in cols:
        out.append(f"<tr><td>{html.escape(c['column'])}</td><td>{c['kind']}</td><td>{c['metric']}</td><td class=n>{c['distance']:.4f}</td></tr>")
    out.append("</table><h2>Pairwise association (Cramer's V), largest differences</h2><table><tr><th>columns</th><th>real</th>"
               "<th>synthetic</th><th>difference</th></tr>")
    for pr in f["pairs"][:20]:
        out.append(f"<tr><td>{html.escape(pr['a'])} x {html.escape(pr['b'])}</td><td class=n>{pr['real']:.3f}</td>"
                   f"<td class=n>{pr['synthetic']:.3f}</td><td class=n>{pr['difference']:.3f}</td></tr>")
    out.append("</table></body></html>")
    return "\n".join(out)


def write_text(text: str, path: Path) -> None:
    atomic_write(Path(path), lambda tmp: tmp.write_text(text))


def write_json(data: dict, path: Path) -> None:
    write_text(json.dumps(data, indent=1, default=str), path)
