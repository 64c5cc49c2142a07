"""Rebuild the CJK font subsets embedded in credit reports (see README.md beside this file).

    .venv/bin/pip install -e '.[fonts]'            # fontTools
    .venv/bin/python xinyong/reports/fonts/build.py          # fetch, verify, subset, write
    .venv/bin/python xinyong/reports/fonts/build.py --check  # rebuild in a temporary folder and
                                                             # compare with the committed files

The source is Noto Sans SC 2.004 (SIL Open Font License 1.1) as shipped, with TrueType outlines,
in the npm package @expo-google-fonts/noto-sans-sc 0.4.3; `npm pack` fetches it and its SHA-256
is checked. The character set: GB 2312 (all 7,445 characters: 6,763 hanzi and the symbols),
ASCII and Latin-1, general and CJK punctuation, full-width forms, enclosed numbers, every
character of the catalog (regions, departments, items, lists), the demo province's name
tables and the report's own texts, and a list of name characters outside GB 2312 that the
通用规范汉字表 (2013) admits. Layout tables (GSUB/GPOS), vertical metrics and hinting are
dropped: reportlab draws glyphs by code point and embeds its own subset per document.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
PACKAGE = "@expo-google-fonts/noto-sans-sc@0.4.3"
TARBALL = "expo-google-fonts-noto-sans-sc-0.4.3.tgz"
TARBALL_SHA256 = "0d69d0f4971d2ff574e3d93cbc218dc950bf3f3f8f8e2c008d97687ed53aee59"
FACES = {
    "NotoSansSC-Regular.ttf": "package/400Regular/NotoSansSC_400Regular.ttf",
    "NotoSansSC-Bold.ttf": "package/700Bold/NotoSansSC_700Bold.ttf",
}
LICENCE = ("package/LICENSE_FONT", "OFL.txt")

# Name characters outside GB 2312 that people and firms in the province use (all in the
# 通用规范汉字表); characters already in GB 2312 are harmless here.
EXTRA_NAME_CHARS = (
    "堃喆镕昇珺琇玥焜祎燚垚犇骉赟淏浠锴镛璟禛曌熠燊煜炅晞暐彧翀翊妤姮婳嫚韡颢"
    "珅昶玓玙琬琰琨瑀瑢瑭瑷璇璠瓅旻昀昉晁晗晢晧暄皓炘炫烨焱焯煊熙燏钕钖钜铖"
    "锘锜锟镠阚陉隽雩霁靓鞅颋颙飏骐骥髙鲲鹍鹏鹓黉翃翚翯翾羡龑垲堉埕塍墉峣崟嵘"
    "嵛巍彤淼渼湉溥漪潆澂澜濠瀛灏沄沇泓洹浡浥涴淦渤湛滈漳潼澧濂瀚甯畯睿瞳祯禤"
    "秭稷穰竑筠箐篪粲絜缙翕聿胤臻芃芮苒茜荦莜菁萁萦蓁蔚蕤薏藜蘅虓衎裕褀覃訾"
    "谌谞谡贇赓跞轩辂辉迦邝邰郃郗鄞鄯醇釆钤铉铭锦镓镔闳阆陟隆霈霖靖韫韬颉飒"
    "馥骅骢骧鸾鹂鹞麒黛鼐龢珣珩珲琛琮瑛瑾璋璞璨瓒甄畇皙盈睍砚硕祜祐禅秉稔"
)


def charset() -> set[int]:
    chars: set[str] = set()
    for hi in range(0xA1, 0xF8):  # GB 2312, decoded by Python's codec
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    ranges = [
        (0x20, 0x7E), (0xA0, 0xFF),  # ASCII, Latin-1
        (0x2010, 0x2027), (0x2030, 0x203B), (0x2100, 0x2122), (0x2160, 0x216B),
        (0x2190, 0x2193), (0x2460, 0x249B), (0x25A0, 0x25CF), (0x2605, 0x2606), (0x2713, 0x2714),
        (0x3000, 0x303F), (0x3200, 0x3229), (0xFE30, 0xFE4F), (0xFF01, 0xFF5E), (0xFFE0, 0xFFE6),
    ]
    for lo, hi in ranges:
        chars.update(chr(c) for c in range(lo, hi + 1))
    chars.update(EXTRA_NAME_CHARS)
    chars.update(own_text_chars())
    return {ord(c) for c in chars}


def own_text_chars() -> set[str]:
    """Every non-ASCII character of the catalog (items, fields, regions, departments, lists), the
    demo province's name tables and the report's own texts."""
    out: set[str] = set()
    for folder in ("xinyong/catalog/definitions", "xinyong/demo", "xinyong/reports"):
        for pattern in ("**/*.yaml", "**/*.py", "**/*.html"):
            for path in sorted((ROOT / folder).glob(pattern)):
                if "migrations" in path.parts or path.parent == HERE:
                    continue
                out.update(c for c in path.read_text(encoding="utf-8") if ord(c) > 0x7F and c.isprintable())
    return out


def fetch(workdir: Path) -> Path:
    """npm pack the pinned package into workdir and check its digest; returns the tarball."""
    npm = shutil.which("npm")
    if not npm:
        sys.exit("npm is needed to fetch the source font (apt-get install npm)")
    subprocess.run([npm, "pack", "--silent", PACKAGE], cwd=workdir, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 (pinned package, checked digest)
    tarball = workdir / TARBALL
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != TARBALL_SHA256:
        sys.exit(f"{TARBALL}: SHA-256 {digest} is not the pinned {TARBALL_SHA256}")
    return tarball


def subset(source: bytes, unicodes: set[int]) -> bytes:
    import io

    from fontTools import subset as ftsubset
    from fontTools.ttLib import TTFont

    options = ftsubset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.hinting = False
    options.notdef_outline = True
    options.drop_tables += ["DSIG", "vhea", "vmtx", "BASE", "STAT", "GSUB", "GPOS", "GDEF"]
    font = TTFont(io.BytesIO(source), recalcTimestamp=False)
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=sorted(unicodes))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def build(target: Path, tarball: Path) -> dict[str, str]:
    unicodes = charset()
    digests = {}
    with tarfile.open(tarball) as tar:
        for name, member in FACES.items():
            data = subset(tar.extractfile(member).read(), unicodes)
            (target / name).write_bytes(data)
            digests[name] = hashlib.sha256(data).hexdigest()
        (target / LICENCE[1]).write_bytes(tar.extractfile(LICENCE[0]).read())
    return digests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="rebuild elsewhere and compare with the committed files")
    parser.add_argument("--tarball", type=Path, help="use this already fetched package tarball (its digest is checked)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        tarball = args.tarball or fetch(tmpdir)
        if hashlib.sha256(tarball.read_bytes()).hexdigest() != TARBALL_SHA256:
            sys.exit(f"{tarball}: not the pinned package")
        target = tmpdir / "out" if args.check else HERE
        target.mkdir(exist_ok=True)
        digests = build(target, tarball)
        for name, digest in digests.items():
            size = (target / name).stat().st_size
            print(f"{name}  {size:,} bytes  sha256 {digest}")
        if args.check:
            differ = [n for n in [*FACES, LICENCE[1]] if (target / n).read_bytes() != (HERE / n).read_bytes()]
            if differ:
                print("differ from the committed files:", ", ".join(differ))
                return 1
            print("the committed files are what this script builds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
