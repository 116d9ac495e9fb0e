"""One hidden unit's arithmetic at one time step, recomputed from a gate trace.

The step-through view shows each equation of the model's cell with the real
numbers filled in: for unit ``j`` at input position ``t`` it recomputes every
pre-activation from the trace's layer input ``x_t``, the weights (torch's
layout) and the previous state ``h_{t-1}`` (``c_{t-1}``), in float64. The
result must agree with the values the tracer stored (the tests check it), so
the screen never shows numbers that do not add up.

numpy only: the text is plain HTML, which the GUI's step view shows in a
``QTextBrowser`` and any other front end can show as it likes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rnnviz.core.introspect.records import DirectionTrace

MINUS = "\u2212"
DIGITS = 3  # decimals on screen: readable from the back of a lecture hall


@dataclass(frozen=True)
class UnitLine:
    """One equation for one unit: ``symbol_t[j] = formula = numbers = value``."""

    name: str  # the trace's gate name, e.g. "reset"
    lhs_html: str  # e.g. "r<sub>t</sub>"
    formula_html: str  # the vector formula, as in cells.EQUATIONS
    numbers_html: str  # the formula with unit j's numbers, up to the activation
    pre: float | None  # the activation's argument (None for the combining lines)
    value: float  # the result, float64


@dataclass(frozen=True)
class UnitStep:
    """Every line of one cell step for unit ``unit`` at position ``step``."""

    cell: str
    layer: int
    direction: str
    step: int
    unit: int
    h_prev: float
    c_prev: float | None
    lines: tuple[UnitLine, ...]

    def value(self, name: str) -> float:
        for line in self.lines:
            if line.name == name:
                return line.value
        raise KeyError(f"no line {name!r} for a {self.cell} cell.")

    def values(self) -> dict[str, float]:
        return {line.name: line.value for line in self.lines}


def fmt(value: float, digits: int = DIGITS) -> str:
    """A number with a real minus sign and no "-0.000"."""
    text = f"{value:.{digits}f}"
    if float(text) == 0.0:
        text = f"{0.0:.{digits}f}"
    return text.replace("-", MINUS)


def _factor(value: float) -> str:
    """A number inside a product: negative ones in parentheses."""
    text = fmt(value)
    return f"({text})" if text.startswith(MINUS) else text


def _sum(values: list[float]) -> str:
    """``a + b − c``, each sign written once."""
    out = fmt(values[0])
    for v in values[1:]:
        text = fmt(v)
        out += f" {MINUS} {text[1:]}" if text.startswith(MINUS) else f" + {text}"
    return out


def _sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))


def _sub(base: str, sub: str) -> str:
    return f"{base}<sub>{sub}</sub>"


def _affine_html(gate: str) -> str:
    """``W_ig x_t + b_ig + W_hg h_{t−1} + b_hg`` for torch's gate letter ``gate``."""
    return (f"{_sub('W', 'i' + gate)}{_sub('x', 't')} + {_sub('b', 'i' + gate)} + "
            f"{_sub('W', 'h' + gate)}{_sub('h', 't' + MINUS + '1')} + {_sub('b', 'h' + gate)}")


def _partial_gru_lines(cell: str, parts: Callable[[int], list[float]], squashed: Callable[..., UnitLine],
                       reset_all: Callable[[], np.ndarray], w_hh: np.ndarray, h: np.ndarray, unit: int,
                       h_prev: float) -> list[UnitLine]:
    """A GRU with one gate (blocks: the gate, then n): ``gru-reset`` h = n, ``gru-update`` no reset."""
    H = h.shape[0]
    prev = _sub("h", "t" + MINUS + "1")
    if cell == "gru-reset":
        r = squashed("reset", "r", 0, True)
        xn, b_in, _, b_hn = parts(1)
        hn = float(w_hh[H + unit] @ (reset_all() * h))  # the whole reset vector scales h before the matmul
        pre = xn + b_in + hn + b_hn
        n = UnitLine("candidate", _sub("n", "t"),
                     f"tanh({_sub('W', 'in')}{_sub('x', 't')} + {_sub('b', 'in')} + {_sub('W', 'hn')}"
                     f"({_sub('r', 't')} ⊙ {prev}) + {_sub('b', 'hn')})",
                     f"tanh({_sum([xn, b_in, hn, b_hn])}) = tanh({fmt(pre)})", pre, math.tanh(pre))
        return [r, n, UnitLine("hidden", _sub("h", "t"), f"{_sub('n', 't')} (no update gate)",
                               _factor(n.value), None, n.value)]
    z = squashed("update", "z", 0, True)
    n = squashed("candidate", "n", 1, False)  # no reset gate: tanh of W_in x + b_in + W_hn h + b_hn
    h_new = z.value * h_prev + (1.0 - z.value) * n.value
    return [z, n, UnitLine(
        "hidden", _sub("h", "t"), f"{_sub('z', 't')} ⊙ {prev} + (1 {MINUS} {_sub('z', 't')}) ⊙ {_sub('n', 't')}",
        f"{_factor(z.value)} × {_factor(h_prev)} + {_factor(1.0 - z.value)} × {_factor(n.value)}", None, h_new)]


def previous_state(direction: DirectionTrace, step: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The state before position ``step`` in this direction's reading order: (h, c or None)."""
    backward = direction.direction == "backward"
    before = step + 1 if backward else step - 1
    first = before < 0 or before >= direction.num_steps
    h = direction.h0 if first else direction.gates["hidden"][before]
    c = None
    if "cell" in direction.gates:
        c = direction.c0 if first else direction.gates["cell"][before]
    return np.asarray(h, np.float64), None if c is None else np.asarray(c, np.float64)


def unit_step(direction: DirectionTrace, cell: str, step: int, unit: int) -> UnitStep:
    """Recompute unit ``unit`` at position ``step`` of ``direction`` with ``cell``'s equations."""
    T, H = direction.num_steps, direction.hidden_size
    if not 0 <= step < T:
        raise IndexError(f"step {step} is outside 0…{T - 1}.")
    if not 0 <= unit < H:
        raise IndexError(f"unit {unit} is outside 0…{H - 1}.")
    x = np.asarray(direction.x[step], np.float64)  # (d,)
    h, c = previous_state(direction, step)  # (H,), (H,) | None
    w_ih = np.asarray(direction.weight_ih, np.float64)  # (G*H, d)
    w_hh = np.asarray(direction.weight_hh, np.float64)  # (G*H, H)
    b_ih = np.asarray(direction.bias_ih, np.float64)
    b_hh = np.asarray(direction.bias_hh, np.float64)

    def parts(block: int) -> list[float]:
        row = block * H + unit
        return [float(w_ih[row] @ x), float(b_ih[row]), float(w_hh[row] @ h), float(b_hh[row])]

    def squashed(name: str, gate: str, block: int, sigmoid: bool) -> UnitLine:
        p = parts(block)
        pre = sum(p)
        act = "σ" if sigmoid else "tanh"
        value = _sigmoid(pre) if sigmoid else math.tanh(pre)
        return UnitLine(name, _sub(gate, "t"), f"{act}({_affine_html(gate)})",
                        f"{act}({_sum(p)}) = {act}({fmt(pre)})", pre, value)

    h_prev = float(h[unit])
    c_prev = None if c is None else float(c[unit])
    lines: list[UnitLine] = []
    if cell == "rnn":
        p = parts(0)
        pre = sum(p)
        formula = (f"{_sub('W', 'ih')}{_sub('x', 't')} + {_sub('b', 'ih')} + "
                   f"{_sub('W', 'hh')}{_sub('h', 't' + MINUS + '1')} + {_sub('b', 'hh')}")
        lines.append(UnitLine("preactivation", _sub("pre", "t"), formula, _sum(p), None, pre))
        lines.append(UnitLine("hidden", _sub("h", "t"), f"tanh({_sub('pre', 't')})", f"tanh({fmt(pre)})", pre,
                              math.tanh(pre)))
    elif cell in ("gru", "gru-book"):
        r = squashed("reset", "r", 0, True)
        z = squashed("update", "z", 1, True)
        xn, b_in = parts(2)[:2]
        if cell == "gru":  # torch: the reset gate scales W_hn h + b_hn, after the matmul
            hn, b_hn = float(w_hh[2 * H + unit] @ h), float(b_hh[2 * H + unit])
            pre = xn + b_in + r.value * (hn + b_hn)
            formula = (f"tanh({_sub('W', 'in')}{_sub('x', 't')} + {_sub('b', 'in')} + {_sub('r', 't')} ⊙ "
                       f"({_sub('W', 'hn')}{_sub('h', 't' + MINUS + '1')} + {_sub('b', 'hn')}))")
            numbers = f"tanh({_sum([xn, b_in])} + {_factor(r.value)} × ({_sum([hn, b_hn])})) = tanh({fmt(pre)})"
        else:  # the book: the whole reset vector scales h before the matmul
            x_all = w_ih[:2 * H] @ x + b_ih[:2 * H] + w_hh[:2 * H] @ h + b_hh[:2 * H]  # (2H,)
            r_all = 1.0 / (1.0 + np.exp(-x_all[:H]))  # (H,)
            hn, b_hn = float(w_hh[2 * H + unit] @ (r_all * h)), float(b_hh[2 * H + unit])
            pre = xn + b_in + hn + b_hn
            formula = (f"tanh({_sub('W', 'in')}{_sub('x', 't')} + {_sub('b', 'in')} + {_sub('W', 'hn')}"
                       f"({_sub('r', 't')} ⊙ {_sub('h', 't' + MINUS + '1')}) + {_sub('b', 'hn')})")
            numbers = f"tanh({_sum([xn, b_in, hn, b_hn])}) = tanh({fmt(pre)})"
        n = UnitLine("candidate", _sub("n", "t"), formula, numbers, pre, math.tanh(pre))
        h_new = z.value * h_prev + (1.0 - z.value) * n.value
        combine = UnitLine(
            "hidden", _sub("h", "t"),
            f"{_sub('z', 't')} ⊙ {_sub('h', 't' + MINUS + '1')} + (1 {MINUS} {_sub('z', 't')}) ⊙ {_sub('n', 't')}",
            f"{_factor(z.value)} × {_factor(h_prev)} + {_factor(1.0 - z.value)} × {_factor(n.value)}", None, h_new)
        lines += [r, z, n, combine]
    elif cell in ("gru-reset", "gru-update"):
        def reset_all() -> np.ndarray:  # every unit's r_t, (H,)
            return 1.0 / (1.0 + np.exp(-(w_ih[:H] @ x + b_ih[:H] + w_hh[:H] @ h + b_hh[:H])))

        lines += _partial_gru_lines(cell, parts, squashed, reset_all, w_hh, h, unit, h_prev)
    elif cell == "lstm":
        assert c_prev is not None
        i = squashed("input", "i", 0, True)
        f = squashed("forget", "f", 1, True)
        g = squashed("candidate", "g", 2, False)
        o = squashed("output", "o", 3, True)
        c_new = f.value * c_prev + i.value * g.value
        cell_line = UnitLine(
            "cell", _sub("c", "t"),
            f"{_sub('f', 't')} ⊙ {_sub('c', 't' + MINUS + '1')} + {_sub('i', 't')} ⊙ {_sub('g', 't')}",
            f"{_factor(f.value)} × {_factor(c_prev)} + {_factor(i.value)} × {_factor(g.value)}", None, c_new)
        hidden = UnitLine("hidden", _sub("h", "t"), f"{_sub('o', 't')} ⊙ tanh({_sub('c', 't')})",
                          f"{_factor(o.value)} × tanh({fmt(c_new)})", None, o.value * math.tanh(c_new))
        lines += [i, f, g, o, cell_line, hidden]
    else:
        raise ValueError(f"unknown cell {cell!r}.")
    return UnitStep(cell, direction.layer, direction.direction, step, unit, h_prev, c_prev, tuple(lines))


#: What the step view says under the equations, by variant: where torch and the book differ.
VARIANT_NOTES: dict[str, str] = {
    "gru": ("The book (§10.2) applies the reset gate <i>before</i> the matmul, "
            "H̃ = tanh(X W<sub>xh</sub> + (R ⊙ H) W<sub>hh</sub> + b<sub>h</sub>); torch.nn.GRU, used here, "
            "applies it after. In both, z weighs the <i>old</i> state."),
    "gru-book": ("This is the book's GRU (§10.2): the reset gate acts before the matmul. torch.nn.GRU applies "
                 "it after, to W<sub>hn</sub>h + b<sub>hn</sub>. In both, z weighs the <i>old</i> state."),
    "gru-reset": ("A GRU with its reset gate only (the book's exercise 4 of §10.2): without an update gate "
                  "the new state is the candidate, h<sub>t</sub> = n<sub>t</sub>; the reset gate acts before the "
                  "matmul, where the book places it. No torch module computes this cell: it runs the scratch "
                  "equations."),
    "gru-update": ("A GRU with its update gate only (the book's exercise 4 of §10.2): without a reset gate the "
                   "candidate reads all of h<sub>t" + MINUS + "1</sub>; z weighs the <i>old</i> state. No torch "
                   "module computes this cell: it runs the scratch equations."),
    "lstm": "torch.nn.LSTM and the book agree; torch has two biases per gate (b<sub>i·</sub>, b<sub>h·</sub>).",
    "rnn": "torch.nn.RNN and the book agree; torch has two biases (b<sub>ih</sub>, b<sub>hh</sub>).",
}


def equations_html(step: UnitStep, token: str, variant: str, colors: dict[str, str] | None = None) -> str:
    """The step's equations as HTML: a header, then per line the formula and its numbers."""
    colors = colors or {}
    arrow = "←" if step.direction == "backward" else "→"
    state = f"h<sub>t{MINUS}1</sub>[j] = {fmt(step.h_prev)}"
    if step.c_prev is not None:
        state += f", c<sub>t{MINUS}1</sub>[j] = {fmt(step.c_prev)}"
    reading = (f" (backward: h<sub>t{MINUS}1</sub> is the state after position t + 1)"
               if step.direction == "backward" else "")
    head = (f"<p style='margin:0'><b>unit j = {step.unit}</b>, step t = {step.step} "
            f"(reads <b>{html.escape(token)}</b>), layer {step.layer + 1} {arrow}<br>{state}"
            f"<span style='font-size:small'>{reading}</span></p>")
    rows = []
    for line in step.lines:
        color = colors.get(line.name)
        lhs = f"<span style='color:{color}'>{line.lhs_html}</span>" if color else line.lhs_html
        rows.append(
            f"<p style='margin-top:6px; margin-bottom:0'>{lhs} = {line.formula_html}<br>"
            f"&nbsp;&nbsp;&nbsp;&nbsp;{lhs}[j] = {line.numbers_html} = <b>{fmt(line.value)}</b></p>")
    note = VARIANT_NOTES.get(step.cell, "")
    tail = (f"<p style='margin-top:8px; font-size:small'><b>{html.escape(variant)}.</b> {note}</p>"
            if variant or note else "")
    return head + "".join(rows) + tail
