"""A report set is replaced all at once or not at all, with real faults: a full disk, a read-only drive, an
immutable file, SIGKILL mid-write. Earlier files stay byte for byte, and no temporary file is left."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from rare_earth_plugin.report import file_set
from rare_earth_plugin.report.errors import ReportError
from rare_earth_plugin.report.file_set import FileSet, check_writable_folder, sweep


def _earlier_set(folder: Path, names=("r.pdf", "r.csv", "r.gpkg")) -> dict[Path, bytes]:
    earlier = {}
    for name in names:
        path = folder / name
        path.write_bytes(f"earlier {name}".encode())
        earlier[path] = path.read_bytes()
    return earlier


def _labelled(paths) -> list[tuple[Path, str]]:
    return [(path, f"{path.suffix[1:].upper()} file") for path in paths]


def test_success_replaces_every_target_and_leaves_no_temporary(tmp_path):
    earlier = _earlier_set(tmp_path)
    with FileSet(_labelled(earlier)) as files:
        for target in earlier:
            temporary = files.temporary(target)
            assert temporary.parent == tmp_path and temporary.suffix == target.suffix
            assert temporary.name.startswith(f".{target.name}.{file_set.TEMP_MARK}-")
            temporary.write_bytes(b"new " + target.name.encode())
        files.commit()
    assert {path: path.read_bytes() for path in earlier} == {p: b"new " + p.name.encode() for p in earlier}
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in earlier)


def test_an_error_while_writing_keeps_the_earlier_set_and_no_temporary(tmp_path):
    earlier = _earlier_set(tmp_path)
    with pytest.raises(RuntimeError), FileSet(_labelled(earlier)) as files:
        files.temporary(next(iter(earlier))).write_bytes(b"half")
        raise RuntimeError("renderer crashed")
    assert {path: path.read_bytes() for path in earlier} == earlier
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in earlier)


def test_empty_output_is_an_error_not_a_report(tmp_path):
    target = tmp_path / "report.csv"
    with pytest.raises(ReportError, match="nothing was written"), FileSet(_labelled([target])) as files:
        files.temporary(target).touch()
        files.commit()
    assert os.listdir(tmp_path) == []


def test_full_disk_names_the_file_and_keeps_the_earlier_set(small_disk):
    disk = small_disk(300)
    earlier = _earlier_set(disk)
    with pytest.raises(ReportError) as raised, FileSet(_labelled(earlier)) as files:
        pdf, csv, _gpkg = earlier
        with files.writing(pdf) as path:
            path.write_bytes(b"%PDF-1.4 " + b"x" * 1000)
        with files.writing(csv) as path:
            path.write_bytes(os.urandom(400 * 1024))  # more than the disk holds
    message = str(raised.value)
    assert "CSV file" in message and str(csv) in message and "the disk is full" in message
    assert "Errno" not in message and "earlier files are unchanged" in message
    assert {path: path.read_bytes() for path in earlier} == earlier
    assert sorted(os.listdir(disk)) == sorted(p.name for p in earlier)


def test_read_only_drive_is_named_before_any_work(small_disk, read_only):
    folder = small_disk(100, "ro")
    read_only(folder)
    with pytest.raises(ReportError, match=r"cannot write in the folder .*read-only"):
        check_writable_folder(folder, "PDF file")


def test_missing_folder_is_an_error(tmp_path):
    with pytest.raises(ReportError, match="cannot write in the folder"):
        check_writable_folder(tmp_path / "nope")


def test_a_target_that_cannot_be_replaced_undoes_the_ones_replaced_before(tmp_path, immutable):
    earlier = _earlier_set(tmp_path)
    gpkg = list(earlier)[-1]
    immutable(gpkg)  # replaced last: the PDF and the CSV are already in place when it fails
    with pytest.raises(ReportError) as raised, FileSet(_labelled(earlier)) as files:
        for target in earlier:
            files.temporary(target).write_bytes(b"new")
        files.commit()
    assert "GPKG file" in str(raised.value) and str(gpkg) in str(raised.value)
    assert {path: path.read_bytes() for path in earlier} == earlier
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in earlier)


def test_replacing_keeps_permissions_and_new_files_follow_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    umask = os.umask(0o022)
    try:
        for content in (b"a", b"b"):
            with FileSet(_labelled([target])) as files:
                files.temporary(target).write_bytes(content)
                files.commit()
            if content == b"a":
                assert target.stat().st_mode & 0o777 == 0o644
                target.chmod(0o640)
        assert target.stat().st_mode & 0o777 == 0o640 and target.read_bytes() == b"b"
    finally:
        os.umask(umask)


_KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from rare_earth_plugin.report.file_set import FileSet
    targets = [Path(p) for p in sys.argv[1:]]
    files = FileSet([(t, "file") for t in targets])
    (files.work_folder() / "chart.png").write_bytes(b"png")
    for t in targets:
        files.temporary(t).write_bytes(b"half of a new file")
        Path(str(files.temporary(t)) + "-wal").write_bytes(b"wal")
    print("writing", flush=True)
    time.sleep(60)
""")


def test_sigkill_mid_write_leaves_the_earlier_set_and_the_next_export_cleans_up(tmp_path):
    earlier = _earlier_set(tmp_path)
    work_before = set(Path(tempfile.gettempdir()).glob(f"{file_set.WORK_PREFIX}*"))
    writer = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, *map(str, earlier)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert writer.stdout.readline().strip() == "writing"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)
    leftovers = set(os.listdir(tmp_path)) - {p.name for p in earlier}
    assert len(leftovers) == 6  # three temporaries and their -wal files: what a kill leaves
    assert set(Path(tempfile.gettempdir()).glob(f"{file_set.WORK_PREFIX}*")) - work_before
    assert {path: path.read_bytes() for path in earlier} == earlier

    with FileSet(_labelled(earlier)):  # the next export
        pass
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in earlier)
    assert not set(Path(tempfile.gettempdir()).glob(f"{file_set.WORK_PREFIX}*")) - work_before


def test_sweep_spares_a_running_export_and_removes_old_leftovers(tmp_path):
    target = tmp_path / "r.pdf"
    mine = file_set.marked_name(target)
    mine.write_bytes(b"in progress")  # this process is alive: another export is writing it
    foreign = tmp_path / f".r.pdf.{file_set.TEMP_MARK}-abcdef-1-00.pdf"  # another host, long ago
    foreign.write_bytes(b"old")
    old = time.time() - file_set.STALE_SECONDS - 60
    os.utime(foreign, (old, old))
    unrelated = tmp_path / ".hidden_user_file.pdf"
    unrelated.write_bytes(b"keep")
    assert sweep(tmp_path) == [foreign]
    assert mine.exists() and unrelated.exists()


def test_the_temporary_folder_sweep_removes_only_our_own_dead_work_folders(tmp_path):
    """Anything in the shared temporary folder named rare_earth_report_* was removed at the next export (a
    user's rare_earth_report_final.pdf, say): only ``work_folder``'s own folders of a process gone are."""
    ours = file_set.work_folder()
    try:
        assert file_set._WORK.match(ours.name)  # the pattern is work_folder's naming, exactly
    finally:
        ours.rmdir()
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{file_set.WORK_PREFIX}{file_set._HOST}-{done.stdout.strip()}-0123abcd"
    gone = tmp_path / f"{dead}x7_k2m9q"
    gone.mkdir()
    kept = [tmp_path / f"{file_set.WORK_PREFIX}final.pdf", tmp_path / f"{dead}x7_k2m9q.pdf"]
    for path in kept:
        path.write_bytes(b"a user's file")
    (tmp_path / f"{file_set.WORK_PREFIX}A").mkdir()
    (tmp_path / dead).mkdir()  # no mkdtemp suffix: not ours
    assert sweep(tmp_path, file_set._WORK, folders_only=True) == [gone]
    assert all(path.exists() for path in kept)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [kept[0].name, kept[1].name, f"{file_set.WORK_PREFIX}A", dead]
    )


def _geopackage_like(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE gpkg_contents (table_name TEXT)")
        connection.executemany("INSERT INTO gpkg_contents VALUES (?)", [("areas",), ("layer_styles",), ("roads",)])
    connection.close()


def test_a_geopackage_another_program_is_writing_is_not_replaced_and_one_it_reads_is(tmp_path):
    """Replaced under a writer's lock, that program's changes went on into the old file and were lost."""
    import sqlite3

    earlier = _earlier_set(tmp_path, ("r.pdf",))
    package = tmp_path / "r.gpkg"
    _geopackage_like(package)
    holder = sqlite3.connect(package)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO gpkg_contents VALUES ('notes')")
    try:
        with FileSet(_labelled([*earlier, package])) as files:
            for target in (*earlier, package):
                files.temporary(target).write_bytes(b"new")
            with pytest.raises(ReportError, match=r"GPKG file: .*r\.gpkg' is locked by another program"):
                files.commit()
        assert all(path.read_bytes() == data for path, data in earlier.items())  # none replaced
        holder.commit()
    finally:
        holder.close()
    reader = sqlite3.connect(package)
    try:
        assert reader.execute("SELECT count(*) FROM gpkg_contents").fetchone() == (4,)  # the writer's row kept
        reader.execute("BEGIN")
        reader.execute("SELECT * FROM gpkg_contents").fetchall()  # a reader's shared lock does not stop a write
        file_set.check_not_locked(package, "GPKG file")
    finally:
        reader.close()


def test_other_layers_of_a_geopackage_are_listed_but_not_its_own_or_its_styles(tmp_path):
    package = tmp_path / "areas.gpkg"
    _geopackage_like(package)
    assert file_set.other_layers(package, "AREAS") == ["roads"]
    (tmp_path / "plain.gpkg").write_bytes(b"not SQLite at all")
    assert file_set.other_layers(tmp_path / "plain.gpkg", "plain") == []
    assert file_set.other_layers(tmp_path / "missing.gpkg", "missing") == []


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_target_given_as_a_link_keeps_the_link_and_replaces_its_file(tmp_path):
    """The link itself was replaced by a new file, leaving the earlier report where it pointed."""
    real = tmp_path / "reports" / "r.pdf"
    real.parent.mkdir()
    real.write_bytes(b"earlier")
    link = tmp_path / "l.pdf"
    link.symlink_to(real)
    with FileSet(_labelled([link])) as files:
        with files.writing(link) as path:
            path.write_bytes(b"new")
        files.commit()
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_a_journal_another_program_left_is_emptied_into_the_file_before_it_is_replaced(tmp_path):
    """Replaced beside the -wal of a program holding the old file open, the new file got that program's table."""
    import sqlite3

    package = tmp_path / "r.gpkg"
    _geopackage_like(package)
    holder = sqlite3.connect(package)
    try:
        holder.execute("PRAGMA journal_mode=wal")
        holder.execute("PRAGMA wal_autocheckpoint=0")
        holder.execute("CREATE TABLE scratch (n INTEGER)")
        holder.executemany("INSERT INTO scratch VALUES (?)", [(n,) for n in range(2000)])
        holder.commit()
        journal = package.with_name("r.gpkg-wal")
        assert journal.stat().st_size > 0
        reader = sqlite3.connect(package)  # a reader inside a transaction: the journal cannot be emptied
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM scratch").fetchall()
        with pytest.raises(ReportError, match=r"has changes in its journal \(r\.gpkg-wal\)"):
            file_set.check_not_locked(package, "GPKG file")
        reader.close()
        with FileSet(_labelled([package])) as files:
            with files.writing(package) as path:
                _geopackage_like(path)  # the new file: no scratch table
            files.commit()
    finally:
        holder.close()
    fresh = sqlite3.connect(package)
    try:
        tables = [row[0] for row in fresh.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    finally:
        fresh.close()
    assert "scratch" not in tables and "gpkg_contents" in tables


def test_every_table_a_new_file_would_delete_is_listed(tmp_path):
    """Only gpkg_contents was read: a QGIS project saved in the file, a table of one's own and SpatiaLite layers
    were deleted without a word."""
    import sqlite3

    package = tmp_path / "p.gpkg"
    _geopackage_like(package)
    with sqlite3.connect(package) as connection:
        connection.execute("CREATE TABLE qgis_projects (name TEXT, content BLOB)")
        connection.execute("CREATE TABLE notes (text TEXT)")
        connection.execute("CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT)")
        connection.execute("INSERT INTO gpkg_geometry_columns VALUES ('areas', 'geom')")
        connection.execute("CREATE VIRTUAL TABLE rtree_areas_geom USING rtree(id, minx, maxx, miny, maxy)")
    connection.close()
    assert file_set.other_layers(package, "areas") == ["notes", "qgis_projects", "roads"]
    spatialite = tmp_path / "db.sqlite"
    with sqlite3.connect(spatialite) as connection:
        for table in ("spatial_ref_sys", "spatialite_history", "a", "b", "db", "idx_a_geom"):
            connection.execute(f"CREATE TABLE {table} (x)")
        connection.execute("CREATE TABLE geometry_columns (f_table_name TEXT, f_geometry_column TEXT)")
        connection.execute("INSERT INTO geometry_columns VALUES ('a', 'geom')")
    connection.close()
    assert file_set.other_layers(spatialite, "db") == ["a", "b"]


def test_a_layer_named_like_a_formats_own_table_is_still_a_layer_and_spatialites_own_are_not(tmp_path):
    """Tables were taken for SpatiaLite's by their first letters: a layer "spatial_units" was deleted without a
    word; and a SpatiaLite file holding only the output's own layer was refused for its metadata."""
    from osgeo import ogr

    package = tmp_path / "m.gpkg"
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(package))
    for name in ("m", "spatial_units", "idx_samples", "knn_points", "stored_cores", "views_north"):
        source.CreateLayer(name, geom_type=ogr.wkbPoint)
    source = None
    assert file_set.other_layers(package, "m") == [
        "idx_samples",
        "knn_points",
        "spatial_units",
        "stored_cores",
        "views_north",
    ]
    spatialite = tmp_path / "db.sqlite"
    source = ogr.GetDriverByName("SQLite").CreateDataSource(str(spatialite), options=["SPATIALITE=YES"])
    source.CreateLayer("db", geom_type=ogr.wkbPolygon)
    source = None
    assert file_set.other_layers(spatialite, "db") == []
    source = ogr.Open(str(spatialite), update=1)
    source.CreateLayer("spatial_units", geom_type=ogr.wkbPoint)
    source = None
    assert file_set.other_layers(spatialite, "db") == ["spatial_units"]


def test_a_failure_says_no_file_was_written_where_there_was_none(tmp_path):
    """ "The earlier files are unchanged" was said of files that never existed."""
    new = tmp_path / "new.pdf"
    with (
        FileSet(_labelled([new])) as files,
        pytest.raises(ReportError, match="No file was written"),
        files.writing(new),
    ):
        raise OSError(28, "No space left on device")
    assert not new.exists()


@pytest.mark.parametrize("journal", ["WAL", "DELETE"])
def test_committed_rows_counts_what_is_on_disk_not_what_a_connection_holds_uncommitted(tmp_path, journal):
    """A connection of its own counts only what was committed, whatever another connection holds uncommitted
    and whatever the journal mode (QGIS 3.40+ report a cached count that claims the rows of a failed COMMIT)."""
    import sqlite3

    package = tmp_path / "kept.gpkg"
    _geopackage_like(package)
    holder = sqlite3.connect(package, isolation_level=None)
    try:
        holder.execute(f"PRAGMA journal_mode={journal}")
        holder.execute('CREATE TABLE "Re""sults" (fid INTEGER PRIMARY KEY, x REAL)')
        holder.executemany('INSERT INTO "Re""sults" (x) VALUES (?)', [(1.0,), (2.0,)])
        holder.execute("BEGIN")
        holder.executemany('INSERT INTO "Re""sults" (x) VALUES (?)', [(float(i),) for i in range(500)])
        holder.execute("CREATE TABLE results2 (fid INTEGER PRIMARY KEY)")
        assert holder.execute('SELECT COUNT(*) FROM "Re""sults"').fetchone() == (502,)  # as the holder sees it
        assert file_set.committed_rows(package, 're"SULTS') == 2  # the table's name as SQLite matches it
        assert file_set.committed_rows(package, "results2") == 0  # made in the pending transaction: not there
        assert file_set.committed_rows(package, "roads") == 0  # listed in gpkg_contents only, no table
        holder.execute("COMMIT")
        assert file_set.committed_rows(package, 're"sults') == 502
        assert file_set.committed_rows(package, "results2") == 0  # a table with no rows
    finally:
        holder.close()
    (tmp_path / "not.gpkg").write_bytes(b"not a database")
    assert file_set.committed_rows(tmp_path / "not.gpkg", "results") is None  # nothing claimed
    assert file_set.committed_rows(tmp_path / "missing.gpkg", "results") is None


def test_committed_rows_claims_nothing_while_a_writer_holds_the_file_exclusively(tmp_path):
    import sqlite3

    package = tmp_path / "kept.gpkg"
    _geopackage_like(package)
    holder = sqlite3.connect(package, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        assert file_set.committed_rows(package, "gpkg_contents") is None
    finally:
        holder.close()
    assert file_set.committed_rows(package, "gpkg_contents") == 3


def test_a_table_is_found_as_gdals_sqlite_driver_names_it(tmp_path):
    """GDAL's SQLite driver lower-cases a layer's name and writes "-", "#" and "'" as "_": counted by the name the
    user gave, the rows of "résultats-2026" were not found (0 of them: a failure claimed over a good write)."""
    import sqlite3

    assert file_set.sqlite_layer_name("Résultats-2026 #1 o'k") == "résultats_2026 _1 o_k"
    assert file_set.sqlite_layer_name("RÉSULTATS-1") == "rÉsultats_1"  # ASCII letters only, as GDAL lowers them
    assert file_set.launders("a-b") and not file_set.launders("My Results")
    assert file_set.same_layer("résultats_2026", "Résultats-2026", sqlite=True)
    assert not file_set.same_layer("résultats_2026", "Résultats-2026", sqlite=False)  # a GeoPackage keeps "-"
    assert file_set.same_layer("RESULTS", "results", sqlite=False)
    assert not file_set.same_layer("results 2", "results", sqlite=True)
    package = tmp_path / "kept.sqlite"
    with contextlib.closing(sqlite3.connect(package)) as connection, connection:
        connection.execute('CREATE TABLE "résultats_2026" (x)')
        connection.executemany('INSERT INTO "résultats_2026" VALUES (?)', [(1,), (2,), (3,)])
        connection.execute('CREATE TABLE "a_b" (x)')
        connection.execute('CREATE TABLE "a#b" (x)')
    assert file_set.committed_rows(package, "Résultats-2026") == 3
    connection = sqlite3.connect(package)
    with contextlib.closing(connection), connection:
        connection.execute('INSERT INTO "a#b" VALUES (1)')
    assert file_set.committed_rows(package, "a#b") == 1  # its very name first
    assert file_set.committed_rows(package, "A-B") == 0  # as GDAL names it: "a_b", not "a#b"


def test_only_sqlite_files_that_are_not_geopackages_rename_their_layers(tmp_path):
    """A GeoPackage, a spreadsheet or any other file keeps "a-b" as it is: only GDAL's SQLite driver renames it."""
    import sqlite3

    assert file_set.by_sqlite_driver(tmp_path / "new.sqlite") and file_set.by_sqlite_driver(tmp_path / "new.DB")
    assert not file_set.by_sqlite_driver(tmp_path / "new.gpkg")
    assert not file_set.by_sqlite_driver(tmp_path / "book.xlsx")
    package, plain = tmp_path / "named.sqlite", tmp_path / "plain.gpkg"
    for path, application_id in ((package, 0x47504B47), (plain, 0)):  # "GPKG" in the first, none in the second
        connection = sqlite3.connect(path)
        with contextlib.closing(connection), connection:
            connection.execute(f"PRAGMA application_id = {application_id}")
            connection.execute('CREATE TABLE "a_b" (x)')
            connection.execute('INSERT INTO "a_b" VALUES (1)')
    assert not file_set.by_sqlite_driver(package)  # a GeoPackage whatever its name
    assert file_set.by_sqlite_driver(plain)  # an SQLite file whatever its name
    assert file_set.committed_rows(package, "a-b") == 0  # "a-b" is not "a_b" in a GeoPackage
    assert file_set.committed_rows(plain, "a-b") == 1
    (tmp_path / "not.sqlite").write_bytes(b"text")
    assert not file_set.by_sqlite_driver(tmp_path / "not.sqlite")
