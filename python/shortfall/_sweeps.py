"""Names and units of a batch's swept keys (docs/batches.md, "Names and
units of swept values"): the rules of sf_sweep_names and sf_sweep_unit in
sim/batch.c, on the key paths of the batch text and the variant's scenario
text that the file stores."""
import re

_DIST_LOCATED = {"value", "min", "max", "mean", "median", "mode", "scale"}
_DIST_SHAPED = {"sigma", "shape", "a", "b"}
_PER_YEAR = {"hazard_per_year", "growth"}
_PLAIN = {"severity", "rate", "share", "completion_probability", "factor",
          "weight", "volatility", "tariff_elasticity",
          "substitution_elasticity", "demand_elasticity", "supply_elasticity",
          "elasticity", "price_cap", "seed"}


def split_path(path):
    """A key path as [(text, is_selector)], or [] when not well formed."""
    parts, p = [], 0
    while p < len(path):
        if path[p] == "[":
            close = path.find("]", p)
            if close < 0:
                return []
            parts.append((path[p + 1:close], True))
            p = close + 1
        else:
            m = re.match(r"[^.\[]+", path[p:])
            if m is None:
                return []
            parts.append((m.group(0), False))
            p += len(m.group(0))
        if p < len(path) and path[p] == ".":
            p += 1
    return parts


def _name_parts(path):
    out = []
    for text, sel in split_path(path):
        if sel and text.isdigit() and out:
            out[-1] += f"[{text}]"
        else:
            out.append(text)
    return out


def names(paths):
    """The column names of the swept keys: the last key, with the
    distribution's key for a distribution's parameter, lengthened until no
    two are the same."""
    parts = [_name_parts(p) for p in paths]
    length = []
    for ps in parts:
        last = ps[-1] if ps else ""
        length.append(2 if len(ps) > 1 and (last in _DIST_LOCATED or
                                             last in _DIST_SHAPED) else 1)

    def tail(k, n):
        ps = parts[k]
        return ".".join(ps[-n:]) if ps else paths[k]

    for k in range(len(paths)):
        while length[k] < len(parts[k]):
            mine = tail(k, length[k])
            if not any(j != k and tail(j, length[k]) == mine
                       for j in range(len(paths))):
                break
            length[k] += 1
    return [tail(k, length[k]) for k in range(len(paths))]


def _pick(items, sel):
    """The list item a selector picks: by index, or by id (or name)."""
    if not isinstance(items, list):
        return None
    if sel.isdigit():
        i = int(sel)
        return items[i] if i < len(items) else None
    for it in items:
        if isinstance(it, dict) and (it.get("id") == sel or it.get("name") == sel):
            return it
    return None


def _commodity_unit(scenario, cid):
    for c in scenario.get("commodities") or []:
        if isinstance(c, dict) and c.get("id") == cid:
            u = c.get("unit")
            return str(u) if u is not None else None
    return None


def _node_key_unit(scenario, node, key):
    if not isinstance(node, dict):
        return ""
    out = _commodity_unit(scenario, node.get("output"))
    inp = _commodity_unit(scenario, node.get("input"))
    if key == "capacity" and out:
        return out + "/year"
    if key == "demand" and inp:
        return inp + "/year"
    if key == "output_stock_cap" and out:
        return out
    if key == "initial_input_stock" and inp:
        return inp
    if key == "yield" and out and inp:
        return f"{out}/{inp}"
    return ""


def unit(scenario, path):
    """The unit of a swept key path in a scenario (parsed YAML), or "" when
    the rules do not know it."""
    parts = split_path(path)
    if not parts:
        return ""
    keys = [i for i, (_, sel) in enumerate(parts) if not sel]
    if not keys:
        return ""
    last = keys[-1]
    prev = keys[-2] if len(keys) > 1 else -1
    key = parts[last][0]
    if prev >= 0 and (key in _DIST_LOCATED or key in _DIST_SHAPED):
        if key in _DIST_SHAPED:
            return "1"
        last, key = prev, parts[prev][0]
    text = [t for t, _ in parts]
    sel = [s for _, s in parts]
    n = len(parts)
    if text[0] == "regimes" or key in _PLAIN:
        return "1"
    if key in _PER_YEAR:
        return "1/year"
    if key == "start_month" or (len(key) > 7 and key.endswith("_months")):
        return "months"
    if key == "trials" and last == 0:
        return "trials"
    if not isinstance(scenario, dict):
        return ""
    if n >= 3 and text[0] == "nodes" and sel[1] and last == 2:
        return _node_key_unit(scenario, _pick(scenario.get("nodes"), text[1]), key)
    if (n >= 3 and text[0] == "commodities" and sel[1] and last == 2
            and key == "price"):
        c = _pick(scenario.get("commodities"), text[1])
        u = c.get("unit") if isinstance(c, dict) else None
        return f"money/{u}" if u is not None else ""
    if (n >= 5 and text[0] == "policies" and sel[1] and
            text[2] == "interventions" and sel[3]):
        pol = _pick(scenario.get("policies"), text[1])
        ivs = pol.get("interventions") if isinstance(pol, dict) else None
        iv = ivs[int(text[3])] if (isinstance(ivs, list) and text[3].isdigit()
                                   and int(text[3]) < len(ivs)) else None
        if not isinstance(iv, dict):
            return ""
        kind = iv.get("kind")
        if last == 4 and kind == "stockpile" and key in ("initial", "capacity"):
            node = _pick(scenario.get("nodes"), str(iv.get("node")))
            u = (_commodity_unit(scenario, node.get("input"))
                 if isinstance(node, dict) else None)
            return u or ""
        if last == 5 and text[4] == "node" and kind == "new_capacity":
            return _node_key_unit(scenario, iv.get("node"), key)
    return ""
