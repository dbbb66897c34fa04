"""``finite-size``: DE vs finite-size theory vs simulation near interpolation and as T → M.

Ridgeless, with label noise. Left: against N at fixed T around the interpolation point N = T,
where the DE's error grows like 1/|N − T| and the exact reductions FS-1/FS-2 follow the
simulation (docs/finite_size.md). Right: against T at one N > M as T → M, where the DE's error
grows like 1/(M − T). Both panels show theory / simulation − 1, the grey band the simulation's
±2 s.e.
"""

from __future__ import annotations

import pandas as pd

from ...theory import predict
from ..context import build_model, model_text
from ..style import PALETTE, add_footer, new_figure
from ._common import agreement_row, footer

TITLE = "Finite-size theory vs the deterministic equivalent near interpolation and as T → M"


def _panel(ctx, cfg, model, name: str, Ns, Ts, draws: int) -> pd.DataFrame:
    table = ctx.simulate(name, model, Ns, Ts, [0.0], cfg.int("seeds", 2), cfg.int("seed"))
    n, t = table["N"].to_numpy(), table["T"].to_numpy()
    fs = predict(model, n, t, finite_size=True, draws=draws, seed=cfg.int("seed") + 1)
    table["finite_size"], table["finite_size_sem"] = fs.loss, fs.loss_sem
    table["equivalent"] = fs.equivalent
    return table


def compute(cfg, ctx) -> dict[str, pd.DataFrame]:
    model = build_model(cfg.need("model"))
    draws = cfg.int("draws", 2)
    T = cfg.int("T", 1)
    ctx.plan_sweeps(2)
    near = _panel(ctx, cfg, model, "finite-size-N", cfg.ints("N"), [T], draws)
    near["panel"] = "interpolation"
    N_wide = cfg.int("N_wide", 1)
    edge = _panel(ctx, cfg, model, "finite-size-T", [N_wide], cfg.ints("T_edge"), draws)
    edge["panel"] = "T to M"
    sim = pd.concat([near, edge], ignore_index=True)
    fs_ratio = sim["finite_size"] / sim["loss"]
    de_ratio = sim["equivalent"] / sim["loss"]
    summary = [
        agreement_row("finite-size theory / simulated loss", fs_ratio),
        agreement_row("deterministic equivalent / simulated loss", de_ratio),
    ]
    return {"simulation": sim, "summary": pd.DataFrame(summary)}


def draw(tables, cfg):
    model = build_model(cfg["model"])
    sim = tables["simulation"]
    fig, axes = new_figure(ncols=2, width=8.4, height=3.6)
    for ax, (panel, x, label) in zip(
        axes,
        (("interpolation", "N", "number of random features $N$"),
         ("T to M", "T", "number of training samples $T$")),
    ):  # fmt: skip
        s = sim[sim["panel"] == panel].sort_values(x)
        rel = 2.0 * s["loss_sem"] / s["loss"]
        ax.fill_between(s[x], -rel, rel, color="#dddddd", label="simulation ± 2 s.e.")
        ax.plot(s[x], s["equivalent"] / s["loss"] - 1, "s--", color=PALETTE[1],
                label="deterministic equivalent")  # fmt: skip
        ax.errorbar(s[x], s["finite_size"] / s["loss"] - 1,
                    yerr=2.0 * s["finite_size_sem"] / s["loss"], fmt="o-",
                    color=PALETTE[0], label="finite-size theory")  # fmt: skip
        ax.axhline(0.0, color="black", lw=0.6)
        ax.set_xlabel(label)
        ax.set_ylabel("theory / simulation − 1")
    T, N_wide = int(cfg["T"]), int(cfg["N_wide"])
    axes[0].axvline(T, color="grey", ls=":", lw=0.9)
    axes[0].set_title(f"near interpolation, T = {T}", fontsize=9)
    axes[1].axvline(model.M, color="grey", ls=":", lw=0.9)
    axes[1].set_title(f"T → M at N = {N_wide}", fontsize=9)
    axes[0].legend(loc="lower left", fontsize=7)
    fig.suptitle(TITLE, fontsize=10)
    add_footer(fig, footer(cfg, model_text(model), f"ridge 0, {cfg['draws']} theory draws"))
    return fig
