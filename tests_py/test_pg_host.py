"""nucleus.storage._pg_host, the stand-in for psycopg inside Pyodide: what it does without a host (the channel
itself runs in js/test/postgres.test.mjs and in the Pyodide run of this suite, against a server)."""

from __future__ import annotations

import sys

import pytest

from nucleus import StorageUnsupported
from nucleus.storage import _pg_host as host


def test_connection_strings_in_both_forms():
    url = "postgresql://u%40x:p%3Ass@db.example:6543/my%20db?sslmode=require&application_name=a"
    assert host.conninfo.conninfo_to_dict(url) == {
        "host": "db.example",
        "port": "6543",
        "user": "u@x",
        "password": "p:ss",
        "dbname": "my db",
        "sslmode": "require",
        "application_name": "a",
    }
    socket = "postgresql:///?host=%2Ftmp%2Fpg&port=5433&user=nucleus&dbname=t"
    assert host.conninfo.conninfo_to_dict(socket) == {
        "host": "/tmp/pg",
        "port": "5433",
        "user": "nucleus",
        "dbname": "t",
    }
    pairs = "host=localhost port=5432 dbname=x password='a b\\'c' user=me"
    assert host.conninfo.conninfo_to_dict(pairs) == {
        "host": "localhost",
        "port": "5432",
        "dbname": "x",
        "password": "a b'c",
        "user": "me",
    }
    for bad in ("not a dsn", "host=a options=-c", "postgresql://a,b/db", "postgresql://h:notaport/db"):
        with pytest.raises(host.ProgrammingError):
            host.conninfo.conninfo_to_dict(bad)


def test_placeholders_parameters_and_values():
    assert host._sql("SELECT %s, %s, '%%'", (1, 2)) == "SELECT $1, $2, '%'"
    assert host._sql("SET x = 1; SET y = 2", None) == "SET x = 1; SET y = 2"
    assert host._param(-(2**63)) == "-9223372036854775808"
    assert host._param([1, None, "a"]) == ["1", None, "a"]
    assert host._param(True) is True
    assert host._value(20, "9007199254740993") == 9007199254740993
    assert host._value(16, "t") is True and host._value(16, "f") is False
    assert host._value(17, "\\x00ff") == b"\x00\xff"
    assert host._value(25, "text") == "text" and host._value(23, None) is None


def test_without_a_host_channel_postgres_is_unsupported(monkeypatch: pytest.MonkeyPatch):
    # As in CPython or a browser; the Pyodide run of this suite has the npm package's channel (tests_py/pyodide).
    monkeypatch.setitem(sys.modules, host.HOST_MODULE, None)
    with pytest.raises(StorageUnsupported):
        host.driver()
