"""``rom demo lagrangian``: its table carries a legend of every column."""

from rom.demo.lagrangian import LEGEND, format_table


def test_every_column_of_the_table_is_explained():
    row = {"problem": "p", "n": 10, "deim_points": 1, "lagrangian_split_1e-3": (1, 1)}
    row.update({"lagrangian_1e-2": 2, "eulerian_1e-2": 9, "lagrangian_1e-3": 2})
    row.update({"eulerian_1e-3": None, "lagrangian_rom_seconds": 1e-3})
    row.update({"eulerian_rom_seconds": 1e-2, "lagrangian_fom_seconds": 1.0})
    header = format_table([row]).splitlines()[0]
    text = " ".join(LEGEND.split())
    for column in ("n", "L / E 1e-2, 1e-3", "(r_w,r_x)", "DEIM", "L / E ROM s", "L FOM s"):
        assert f"{column} =" in text, column
    for token in ("L 1e-2", "E 1e-3", "(r_w,r_x)", "DEIM", "L ROM s", "E ROM s", "L FOM s"):
        assert token in header
    assert "excludes compilation" in text
