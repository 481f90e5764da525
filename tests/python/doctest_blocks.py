#!/usr/bin/python3
"""doctest_blocks.py — the runnable examples of Markdown files.

    doctest_blocks.py --mode run|cluster --out DIR FILE.md...

Every fenced block whose info string is sh, bash, shell or python must be
preceded (blank lines aside) by one marker, an HTML comment that Markdown
does not show:

    <!-- doctest -->                 run by tests/cli/doctest.sh (make test)
    <!-- doctest: cluster -->        run by tests/cluster/doctest.sh (make test-cluster)
    <!-- doctest: skip REASON -->    not run; REASON says why

The blocks of the chosen mode are written to DIR as NNN.sh or NNN.py, in
order, and one line per block goes to stdout: FILE, LINE (of the opening
fence), LANGUAGE (sh or python) and the block's path, separated by tabs.
A runnable block without a marker, a marker before no runnable block, an
unknown marker or a skip without a reason is an error (FILE:LINE: message
on stderr, exit 2), so that no example escapes the doc test.
"""
import os
import re
import sys

LANGS = {"sh": "sh", "bash": "sh", "shell": "sh", "python": "python", "py": "python"}
MARKER = re.compile(r"^\s*<!--\s*doctest(?::\s*(.*?))?\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)[^`]*$")


def blocks(path):
    """Yields (line, info, marker, marker_line, text) for every fenced block,
    and (line, None, marker, marker_line, None) for a marker before no block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    marker = marker_line = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line)
        fence = FENCE.match(line)
        if m:
            if marker is not None:
                yield (marker_line, None, marker, marker_line, None)
            marker, marker_line = (m.group(1) or "").strip(), i + 1
        elif fence:
            indent, ticks, info = fence.groups()
            body = []
            j = i + 1
            while j < len(lines):
                close = lines[j].strip()
                if close.startswith(ticks[0] * len(ticks)) and set(close) <= {ticks[0]}:
                    break
                body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
                j += 1
            yield (i + 1, info.lower(), marker, marker_line, "\n".join(body) + "\n")
            marker = marker_line = None
            i = j
        elif line.strip() and marker is not None:
            yield (marker_line, None, marker, marker_line, None)
            marker = marker_line = None
        i += 1
    if marker is not None:
        yield (marker_line, None, marker, marker_line, None)


def main(argv):
    mode, out, files = "run", None, []
    i = 0
    while i < len(argv):
        if argv[i] == "--mode":
            mode = argv[i + 1]
            i += 2
        elif argv[i] == "--out":
            out = argv[i + 1]
            i += 2
        else:
            files.append(argv[i])
            i += 1
    if mode not in ("run", "cluster") or not out or not files:
        print(__doc__.strip(), file=sys.stderr)
        return 1
    os.makedirs(out, exist_ok=True)
    errors, n = [], 0
    for path in files:
        for line, info, marker, marker_line, text in blocks(path):
            runnable = info in LANGS
            if info is None:
                errors.append(f"{path}:{marker_line}: doctest marker before no sh or python block")
                continue
            if not runnable:
                if marker is not None:
                    errors.append(f"{path}:{marker_line}: doctest marker before a '{info or 'plain'}' "
                                  "block; only sh and python blocks run")
                continue
            if marker is None:
                errors.append(f"{path}:{line}: {info} block without a doctest marker "
                              "(<!-- doctest -->, <!-- doctest: cluster --> or <!-- doctest: skip REASON -->)")
                continue
            if marker == "":
                kind = "run"
            elif marker == "cluster":
                kind = "cluster"
            elif marker.split()[0] == "skip":
                if not marker[4:].strip():
                    errors.append(f"{path}:{marker_line}: doctest: skip needs a reason")
                continue
            else:
                errors.append(f"{path}:{marker_line}: unknown doctest marker '{marker}'")
                continue
            if kind != mode:
                continue
            n += 1
            lang = LANGS[info]
            block = os.path.join(out, f"{n:03d}.{'sh' if lang == 'sh' else 'py'}")
            with open(block, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"{path}\t{line}\t{lang}\t{block}")
    for e in errors:
        print(e, file=sys.stderr)
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
