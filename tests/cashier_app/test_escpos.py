"""ESC/POS receipts (no Qt): column widths with Chinese, the bytes of a job, and the printer sinks on loopback."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashier_app.core.escpos import (
    COLUMNS_58MM,
    COLUMNS_80MM,
    DOTS_PER_COLUMN,
    ReceiptData,
    ReceiptWords,
    center,
    fit,
    pad_left,
    pad_right,
    qr_commands,
    qr_module_for,
    render_receipt,
    row,
    text_width,
    wrap,
)
from cashier_app.core.printers import FilePrinter, PrinterError, TcpPrinter, open_printer
from shared.wire import SaleLine

from .tcp_printer import TcpPrinterStub

LINK = "https://paidui.example.cn/m/PD1." + "A" * 150 + ".sig-" + "b" * 86
ZH = ReceiptWords(
    receipt_no="小票号",
    time="时间",
    till="收银台",
    cashier="收银员",
    member="会员",
    walk_in="散客",
    amount="金额",
    points="积分抵扣",
    tender="支付方式",
    paid="实付",
    position_pending="排队位置待同步",
    position="排队位置：第 %1 位",
    scan_member="扫码查看订单和排队返利",
    order="订单",
    thanks="谢谢惠顾",
)


def receipt(**kw: object) -> ReceiptData:
    base: dict[str, object] = dict(
        store_name="排队示范店（人民路店）",
        receipt_no=12,
        paid_at=dt.datetime(2026, 3, 2, 10, 5, 9),
        till_name="收银台 1",
        cashier_id="C1",
        member_display="138****1234",
        total_fen=10_000,
        deduction_points_fen=2_000,
        paid_fen=8_000,
        tender_text="微信支付",
        order_id="6f1c1c52-8d3e-4f51-9a39-3f7e0c0c2a11",
        order_link=LINK,
        lines=[SaleLine(name="珍珠奶茶（大杯）", quantity=2, unit_price_fen=1_550, amount_fen=3_100)],
    )
    base.update(kw)
    return ReceiptData(**base)  # type: ignore[arg-type]


COMMAND = re.compile(rb"\x1b@|\x1c&|\x1c\.|\x1b[aEMd].|\x1d!.|\x1dVB.", re.S)


def printed_lines(job: bytes) -> list[str]:
    """The text a printer would print, one string per line, with commands and the QR symbol taken out."""
    out = bytearray()
    i = 0
    while i < len(job):
        if job.startswith(b"\x1d(k", i):
            i += 5 + job[i + 3] + 256 * job[i + 4]
            continue
        m = COMMAND.match(job, i)
        if m:
            i = m.end()
            continue
        out.append(job[i])
        i += 1
    return out.decode("gb18030").split("\n")[:-1]


# ---------------------------------------------------------------------------------------------- widths


def test_chinese_counts_two_columns_ascii_one() -> None:
    assert text_width("abc 12.50") == 9
    assert text_width("排队返利") == 8
    assert text_width("￥80.00") == 7  # the full-width sign is a two-byte glyph
    assert text_width("2 × 3") == 6 and text_width("张*") == 3


def test_padding_and_alignment_count_columns_not_characters() -> None:
    assert pad_right("会员", 8) == "会员    " and text_width(pad_right("会员", 8)) == 8
    assert pad_left("现金", 6) == "  现金"
    assert center("实付", 8) == "  实付  "
    assert pad_right("a排", 2) == "a排"  # already too wide: nothing is cut here
    [line] = row("支付方式", "微信支付", 32)
    assert line == "支付方式" + " " * 16 + "微信支付" and text_width(line) == 32
    [line] = row("Amount", "100.00", 32)
    assert line.endswith("100.00") and len(line) == 32


def test_fit_never_halves_a_double_width_character() -> None:
    assert fit("排队a", 3) == "排" and fit("排队a", 4) == "排队" and fit("a排队", 2) == "a"
    assert fit("排", 1) == ""


def test_a_row_too_wide_puts_the_value_flush_right_below() -> None:
    lines = row("会员", "一二三四五六七八九十一二三四五六", 32)
    assert lines == ["会员", "一二三四五六七八九十一二三四五六"]
    lines = row("Member", "x" * 40, 32)
    assert lines[0] == "Member" and lines[1] == "x" * 32 and lines[2] == " " * 24 + "x" * 8


def test_wrap_breaks_english_at_spaces_and_chinese_anywhere() -> None:
    assert wrap("Scan for your order and your queue rebate", 32) == ["Scan for your order and your", "queue rebate"]
    assert wrap("扫码查看订单与排队返利", 10) == ["扫码查看订", "单与排队返", "利"]
    assert wrap("", 10) == [""]


@given(st.text(alphabet=st.sampled_from("ab 1排队返利￥·—"), max_size=80), st.integers(min_value=2, max_value=48))
def test_wrapped_lines_fit_and_lose_only_spaces(text: str, width: int) -> None:
    lines = wrap(text, width)
    assert all(text_width(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


# ---------------------------------------------------------------------------------------------- the job


def test_qr_commands_are_gs_k_model_2_size_ec_m_store_print() -> None:
    assert qr_commands("abc", module=4) == (
        b"\x1d(k\x04\x00"
        + b"1A2\x00"  # fn 65: model 2
        + b"\x1d(k\x03\x00"
        + b"1C\x04"  # fn 67: module 4 dots
        + b"\x1d(k\x03\x00"
        + b"1E1"  # fn 69: error correction M (49)
        + b"\x1d(k\x06\x00"
        + b"1P0abc"  # fn 80: store 3 bytes (pL = 3 + 3)
        + b"\x1d(k\x03\x00"
        + b"1Q0"  # fn 81: print
    )
    long = "x" * 300
    store = qr_commands(long, module=4)[9 + 8 + 8 :]  # after model, size and level
    assert store[:8] == b"\x1d(k" + bytes((303 % 256, 303 // 256)) + b"1P0"
    with pytest.raises(ValueError):
        qr_commands("abc", module=17)


def test_the_qr_symbol_fits_the_paper() -> None:
    # 273 bytes need version 12 at level M in byte mode: 65 modules + 2 × 4 of quiet zone = 73
    assert len(LINK) == 273
    assert qr_module_for(LINK, columns=COLUMNS_58MM) == 5 and 5 * 73 <= 384 < 6 * 73
    assert qr_module_for(LINK, columns=COLUMNS_80MM) == 7 and 7 * 73 <= 576 < 8 * 73
    assert qr_module_for("x", columns=COLUMNS_80MM) == 8  # never coarser than 8 dots
    assert qr_module_for("x" * 2300, columns=COLUMNS_58MM) == 2  # version 40: 177 + 8 modules
    with pytest.raises(ValueError):
        qr_module_for("x" * 2400, columns=COLUMNS_58MM)  # more than a QR symbol holds at level M


@pytest.mark.parametrize("columns", [COLUMNS_58MM, COLUMNS_80MM])
def test_receipt_job(columns: int) -> None:
    job = render_receipt(receipt(), words=ZH, columns=columns)
    assert job.startswith(b"\x1b@\x1c&")  # init, then the Chinese mode
    assert job.endswith(b"\x1dVB\x00")  # feed to the cutter and a partial cut
    assert b"\x1ba\x01\x1bE\x01\x1d!\x01" + "排队示范店（人民路店）".encode("gb18030") + b"\n" in job  # centred, big
    assert b"\x1bE\x01\x1d!\x11" + "￥80.00".encode("gb18030") + b"\n" in job  # the paid amount, large
    assert qr_commands(LINK, module=qr_module_for(LINK, columns=columns)) in job
    lines = printed_lines(job)
    order_line = row("订单", "6f1c1c52-8d3e-4f51-9a39-3f7e0c0c2a11", columns * DOTS_PER_COLUMN // 9)[0]
    assert b"\x1bM\x01" + order_line.encode("gb18030") + b"\n\x1bM\x00" in job  # font B: 9 dots a column
    lines.remove(order_line)
    assert all(text_width(line) <= columns for line in lines), [ln for ln in lines if text_width(ln) > columns]
    pad = columns - text_width("时间") - len("2026-03-02 10:05:09")
    assert "时间" + " " * pad + "2026-03-02 10:05:09" in lines
    assert row("会员", "138****1234", columns)[0] in lines
    assert row("收银员", "C1", columns)[0] in lines
    assert row("  2 x 15.50", "31.00", columns)[0] in lines
    assert row("金额", "100.00", columns)[0] in lines and row("积分抵扣", "-20.00", columns)[0] in lines
    assert row("支付方式", "微信支付", columns)[0] in lines
    assert "排队位置待同步" in lines
    assert lines[-1] == "谢谢惠顾"  # then ESC d 3 feeds it past the tear bar and GS V 66 cuts


def test_walk_in_known_position_and_no_deduction() -> None:
    lines = printed_lines(
        render_receipt(receipt(member_display=None, deduction_points_fen=0, paid_fen=10_000), words=ZH, columns=32)
    )
    assert row("会员", "散客", 32)[0] in lines
    assert not any("积分抵扣" in ln or "排队位置" in ln for ln in lines)
    lines = printed_lines(render_receipt(receipt(position=3), words=ZH, columns=32))
    assert "排队位置：第 3 位" in lines and "排队位置待同步" not in lines
    lines = printed_lines(render_receipt(receipt(entry_status="completed"), words=ReceiptWords(), columns=32))
    assert "Queue entry: completed" in lines


def test_control_characters_in_names_cannot_drive_the_printer() -> None:
    job = render_receipt(receipt(store_name="店\x1b@\n名", member_display="张\x1dV*"), columns=32)
    assert job.count(b"\x1b@") == 1 and job.count(b"\x1dV") == 1
    assert "店 @ 名" in printed_lines(job)


# ---------------------------------------------------------------------------------------------- sinks


@pytest.fixture
def stub() -> Iterator[TcpPrinterStub]:
    s = TcpPrinterStub()
    yield s
    s.close()


@pytest.fixture
def offline() -> Iterator[TcpPrinterStub]:
    s = TcpPrinterStub(online=False)
    yield s
    s.close()


def test_tcp_printer_gets_the_whole_job_once(stub: TcpPrinterStub) -> None:
    job = render_receipt(receipt(), columns=48)
    TcpPrinter("127.0.0.1", stub.port, timeout_s=2).send(job)
    TcpPrinter("127.0.0.1", stub.port, timeout_s=2).send(b"second")
    assert stub.wait_jobs(2) == [job, b"second"]


def test_refused_connection_is_offline_at_once(offline: TcpPrinterStub) -> None:
    started = time.monotonic()
    with pytest.raises(PrinterError) as caught:
        open_printer(offline.url, timeout_s=2).send(b"x")
    assert caught.value.code == "printer_offline" and time.monotonic() - started < 1


def test_a_hung_printer_times_out(offline: TcpPrinterStub) -> None:
    offline.hang()
    started = time.monotonic()
    with pytest.raises(PrinterError) as caught:
        TcpPrinter("127.0.0.1", offline.port, timeout_s=0.3).send(b"x")
    assert caught.value.code == "printer_timeout" and 0.25 < time.monotonic() - started < 2


def test_a_printer_that_stops_reading_times_out(offline: TcpPrinterStub) -> None:
    offline.stall()
    started = time.monotonic()
    with pytest.raises(PrinterError) as caught:  # more than the socket buffers hold (send side at most 4 MiB)
        TcpPrinter("127.0.0.1", offline.port, timeout_s=0.3).send(b"\x00" * 16_000_000)
    assert caught.value.code == "printer_timeout" and time.monotonic() - started < 2


def test_file_url_appends_jobs(tmp_path: Path) -> None:
    out = tmp_path / "jobs" / "out.bin"
    out.parent.mkdir()
    printer = open_printer(f"file://{out}")
    printer.send(b"one")
    printer.send(b"two")
    assert out.read_bytes() == b"onetwo"


def test_a_missing_device_is_offline_and_never_created(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    with pytest.raises(PrinterError) as caught:
        open_printer(str(device)).send(b"x")
    assert caught.value.code == "printer_offline" and not device.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_device_that_stops_taking_data_times_out(tmp_path: Path) -> None:
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    with pytest.raises(PrinterError) as caught:  # nobody at the other end: like a switched-off printer
        FilePrinter(fifo).send(b"x")
    assert caught.value.code == "printer_offline"
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader that never reads: a stalled printer
    try:
        started = time.monotonic()
        with pytest.raises(PrinterError) as caught:
            FilePrinter(fifo, timeout_s=0.2).send(b"\x00" * 1_000_000)
        assert caught.value.code == "printer_timeout" and time.monotonic() - started < 2
    finally:
        os.close(reader)


def test_a_device_gets_the_job(tmp_path: Path) -> None:
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as f:
            got.append(f.read())

    reader = threading.Thread(target=read)
    reader.start()
    job = render_receipt(receipt(), columns=32)
    deadline = time.monotonic() + 5
    while True:  # the reader may not have opened its end yet
        try:
            open_printer(str(fifo), timeout_s=2).send(job)
            break
        except PrinterError:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    reader.join(5)
    assert got == [job]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("tcp://192.168.1.50", TcpPrinter("192.168.1.50", 9100, 5.0)),
        ("tcp://printer.local:9101", TcpPrinter("printer.local", 9101, 5.0)),
        (" /dev/usb/lp0 ", FilePrinter(Path("/dev/usb/lp0"))),
        ("file:///tmp/r%20x.bin", FilePrinter(Path("/tmp/r x.bin"), create=True)),
    ],
)
def test_printer_addresses(target: str, expected: object) -> None:
    assert open_printer(target) == expected


@pytest.mark.parametrize(
    "target",
    ["", "http://printer", "tcp://", "tcp://host:99999", "tcp://host/queue", "file://otherhost/x", "usb://04b8:0202"],
)
def test_bad_printer_addresses(target: str) -> None:
    with pytest.raises(PrinterError) as caught:
        open_printer(target)
    assert caught.value.code == "printer_address"


def test_the_command_line_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from cashier_app.main import parse_args

    assert parse_args(["--escpos", "tcp://192.168.1.50:9100"]).escpos == "tcp://192.168.1.50:9100"
    assert parse_args(["--escpos", ""]).escpos == "" and parse_args([]).escpos is None
    with pytest.raises(SystemExit):
        parse_args(["--escpos", "http://192.168.1.50"])
    assert "not a printer address" in capsys.readouterr().err


def test_a_line_discount_is_printed_with_the_line() -> None:
    line = SaleLine(name="可乐", quantity=3, unit_price_fen=350, discount_fen=50, amount_fen=1_000, participates=True)
    lines = printed_lines(render_receipt(receipt(lines=[line], total_fen=1_000), words=ZH, columns=COLUMNS_80MM))
    assert row("  3 x 3.50 -0.50", "10.00", COLUMNS_80MM)[0] in lines


def test_the_receipt_says_what_the_wallet_paid_and_the_balance_left() -> None:
    rows = [("钱包支付：返利余额", 3_000), ("返利余额剩余", 2_000)]
    lines = printed_lines(render_receipt(receipt(wallet_rows=rows), words=ZH, columns=32))
    assert any(line.startswith("钱包支付：返利余额") and line.endswith("30.00") for line in lines)
    assert any(line.startswith("返利余额剩余") and line.endswith("20.00") for line in lines)
