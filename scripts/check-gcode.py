#!/usr/bin/env python3
"""Reads a G-code file with pygcode and prints, as JSON, what the tests check about it.

usage: check-gcode.py FILE.gcode (--servo DOWN UP | --z UP DOWN)

The pen is down after the DOWN command (servo style: its first word, e.g. M3) until the UP one, or
(Z style) while Z is below the middle of the two heights. Printed: the units and distance modes
seen, the bounds of every position the machine reaches, how many times the pen went down, how
many drawing moves (G1 in X/Y) ran with the pen up and how many travel moves (G0) with it down,
and the total pen-down and pen-up path lengths.
"""
import json
import math
import sys

from pygcode import Line, Machine
from pygcode.gcodes import GCodeAbsoluteDistanceMode, GCodeIncrementalDistanceMode, GCodeLinearMove
from pygcode.gcodes import GCodeRapidMove, GCodeUseInches, GCodeUseMillimeters


def main(argv):
    path, style = argv[1], argv[2]
    machine = Machine()
    result = {"units": [], "distance": [], "pen_downs": 0, "draws_pen_up": 0, "travels_pen_down": 0,
              "draw_moves": 0, "travel_moves": 0, "min_x": None, "max_x": None, "min_y": None, "max_y": None,
              "drawn_mm": 0.0, "travel_mm": 0.0}
    down = False
    if style == "--servo":
        down_word, up_word = argv[3].split()[0].upper(), argv[4].split()[0].upper()
    else:
        middle = (float(argv[3]) + float(argv[4])) / 2
    with open(path) as f:
        for text in f:
            line = Line(text)
            words = [str(w).upper() for w in line.block.words]
            before = machine.pos.values
            kinds = [type(g) for g in line.block.gcodes]
            machine.process_block(line.block)
            after = machine.pos.values
            if GCodeUseMillimeters in kinds:
                result["units"].append("mm")
            if GCodeUseInches in kinds:
                result["units"].append("inch")
            if GCodeAbsoluteDistanceMode in kinds:
                result["distance"].append("absolute")
            if GCodeIncrementalDistanceMode in kinds:
                result["distance"].append("incremental")
            if style == "--servo":
                normal = [w.replace("M0", "M") if len(w) > 2 else w for w in words]
                if down_word.replace("M0", "M") in normal and not down:
                    down = True
                    result["pen_downs"] += 1
                elif up_word.replace("M0", "M") in normal:
                    down = False
            elif before["Z"] != after["Z"]:
                # The pen is taken as up until Z first moves (the machine's starting Z is unknown).
                now = after["Z"] < middle
                if now and not down:
                    result["pen_downs"] += 1
                down = now
            moved_xy = (before["X"], before["Y"]) != (after["X"], after["Y"])
            for axis, key in (("X", "x"), ("Y", "y")):
                v = after[axis]
                lo, hi = result["min_" + key], result["max_" + key]
                result["min_" + key] = v if lo is None else min(lo, v)
                result["max_" + key] = v if hi is None else max(hi, v)
            if not moved_xy:
                continue
            step = math.hypot(after["X"] - before["X"], after["Y"] - before["Y"])
            if GCodeLinearMove in kinds:
                result["draw_moves"] += 1
                result["drawn_mm"] += step
                if not down:
                    result["draws_pen_up"] += 1
            elif GCodeRapidMove in kinds:
                result["travel_moves"] += 1
                result["travel_mm"] += step
                if down:
                    result["travels_pen_down"] += 1
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
