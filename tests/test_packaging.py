"""The PyInstaller spec, read without building (the build takes minutes: `python3 tasks.py package` does it and
smoke-tests the result). It is run here with PyInstaller's names stubbed, on this platform and as on Windows."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "paidui-cashier.spec"


class Recorder:
    """Stands for Analysis, PYZ, EXE and COLLECT: keeps what the spec gave it."""

    calls: dict[str, Any]

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        Recorder.calls[self.name] = (args, kwargs)
        result = types.SimpleNamespace(args=args, kwargs=kwargs, binaries=[], datas=[], pure=[], scripts=[])
        if self.name == "Analysis":
            result.binaries = [(dest, "/src/" + dest, "BINARY") for dest in SAMPLE_BINARIES]
            result.datas = [(dest, "/src/" + dest, "DATA") for dest in SAMPLE_DATAS]
        return result


SAMPLE_BINARIES = [
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqwayland.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/plugins/platforms/qwindows.dll",
    "PySide6/plugins/platforms/qoffscreen.dll",
    "PySide6/plugins/platforms/qminimal.dll",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
    "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so",
    "PySide6/plugins/styles/qmodernwindowsstyle.dll",
    "PySide6/Qt/plugins/imageformats/libqico.so",
    "PySide6/Qt/plugins/imageformats/libqjpeg.so",
    "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
    "PySide6/Qt/plugins/tls/libqopensslbackend.so",
    "PySide6/Qt/lib/libQt6Widgets.so.6",
    "PySide6/Qt/lib/libQt6Network.so.6",
    "libgtk-3.so.0",
    "libsqlite3.so.0",
]
SAMPLE_DATAS = [
    "PySide6/Qt/translations/qtbase_zh_CN.qm",
    "PySide6/Qt/translations/qtbase_de.qm",
    "cashier_app/i18n/paidui_zh_CN.qm",
]
KEPT = {
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqwayland.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/plugins/platforms/qwindows.dll",
    "PySide6/plugins/platforms/qoffscreen.dll",
    "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
    "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so",
    "PySide6/plugins/styles/qmodernwindowsstyle.dll",
    "PySide6/Qt/plugins/imageformats/libqico.so",
    "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
    "PySide6/Qt/lib/libQt6Widgets.so.6",
    "libsqlite3.so.0",
}


def run_spec(monkeypatch: pytest.MonkeyPatch, platform: str) -> dict[str, Any]:
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_data_files = lambda package: [(f"/site/{package}/zoneinfo/UTC", f"{package}/zoneinfo")]
    hooks.collect_submodules = lambda package: [f"{package}.stub"]
    for name in ("PyInstaller", "PyInstaller.utils"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "PyInstaller.utils.hooks", hooks)
    monkeypatch.setattr(sys, "platform", platform)
    Recorder.calls = {}
    namespace: dict[str, Any] = {
        "SPECPATH": str(SPEC.parent),
        "__name__": "__main__",
        **{n: Recorder(n) for n in ("Analysis", "PYZ", "EXE", "COLLECT")},
    }
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    return namespace


@pytest.mark.parametrize("platform", ["linux", "win32"])
def test_every_file_the_spec_names_exists_and_nothing_is_platform_bound(
    monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    ns = run_spec(monkeypatch, platform)
    (scripts,), analysis = Recorder.calls["Analysis"]
    assert [Path(s) for s in scripts] == [ROOT / "packaging" / "entry.py"] and Path(scripts[0]).exists()
    for source, _dest in analysis["datas"]:
        if not source.startswith("/site/"):
            assert Path(source).exists(), source
    dests = {dest for _src, dest in analysis["datas"]}
    assert {
        "cashier_app/migrations",
        "cashier_app/migrations/versions",
        "cashier_app/i18n",
        "cashier_app/resources",
    } <= dests
    exe = Recorder.calls["EXE"][1]
    if platform == "win32":
        assert exe["icon"] and Path(exe["icon"]).exists() and exe["console"] is False
    else:
        assert exe["console"] is True
    assert Recorder.calls["COLLECT"][1]["name"] == exe["name"] == "paidui-cashier"
    text = SPEC.read_text(encoding="utf-8")
    assert not re.search(r"['\"](/usr|/lib|/opt|C:\\\\)", text), "no absolute paths of one machine"
    assert "site-packages" not in text, "Qt's plugins come from PySide6's own directory through the hooks"
    assert ns["a"].binaries is not None


@pytest.mark.parametrize("platform", ["linux", "win32"])
def test_the_plugins_a_till_needs_are_kept_and_the_rest_left_out(
    monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    ns = run_spec(monkeypatch, platform)
    kept = {dest for dest, _src, _kind in ns["a"].binaries}
    if platform == "linux":
        assert kept == KEPT
    else:  # the Linux-only library names are not dropped on Windows (no such files there), the plugins are
        assert kept >= KEPT and not any("plugins" in k and k not in KEPT for k in kept)
    assert {dest for dest, _src, _kind in ns["a"].datas} == {
        "PySide6/Qt/translations/qtbase_zh_CN.qm",
        "cashier_app/i18n/paidui_zh_CN.qm",
    }


def test_no_module_the_app_imports_is_excluded(monkeypatch: pytest.MonkeyPatch) -> None:
    run_spec(monkeypatch, "linux")
    excludes = set(Recorder.calls["Analysis"][1]["excludes"])
    imported: set[str] = set()
    for source in (ROOT / "cashier_app").rglob("*.py"):
        for match in re.finditer(
            r"^\s*(?:from|import)\s+([A-Za-z_][\w.]*)", source.read_text(encoding="utf-8"), re.MULTILINE
        ):
            name = match.group(1)
            imported.add(".".join(name.split(".")[:2]) if name.startswith("PySide6.") else name.split(".")[0])
    assert "PySide6.QtWidgets" in imported and "alembic" in imported
    assert not imported & excludes, imported & excludes
    assert "shared" not in excludes and "cashier_app" not in excludes
