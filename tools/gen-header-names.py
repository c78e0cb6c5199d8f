#!/usr/bin/env python3
"""Regenerates tests/c/header_names/: for each public header of Anjay Lite 3.0.0, the
public names that header makes visible (itself and through what it includes).

    tools/gen-header-names.py PATH_TO_ANJAY_LITE_TREE

Run it once, by hand, when the list should change (the lists are committed; the tests in
tests/c/CMakeLists.txt read them and never need an Anjay Lite tree). It reads Anjay
Lite's include_public/ and cmake/anjay_lite-config.cmake, writes an anj_config.h from
anj_config.h.in into a temporary directory, runs the C preprocessor over a translation
unit that includes one header, and collects:

* macros defined by Anjay Lite's headers (and its anj_config.h), minus include guards;
* typedef names, functions, variables and enumeration constants declared in them
  (struct, union and enum tags are not listed).

Names that begin with `_` or `ANJ_INTERNAL_`/`anj_internal_` are left out (internal).
Only the names are written (one per line, with their kind), nothing of the headers' text.

Configuration: every option on, except those anj-rs does not support
(ANJ_WITH_EXTERNAL_SIGNING) and those that exclude another (ANJ_LOG_MICRO, the ALT log
hooks). A name is marked with the option(s) it depends on when it disappears with that
option off (one option at a time, with the options that need it), or `several` when it
only disappears in the smallest configuration.
"""

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "c", "header_names")

# Options that stay off in the "everything on" configuration.
NEVER_ON = {
    "ANJ_WITH_EXTERNAL_SIGNING",  # not supported by anj-rs
    "ANJ_LOG_MICRO",  # excludes ANJ_LOG_FULL
    "ANJ_LOG_HANDLER_OUTPUT_ALT",  # the application's own log output
    "ANJ_LOG_STRIP_CONSTANTS",
    "ANJ_PLATFORM_BIG_ENDIAN",
    "ANJ_TESTING",
    "ANJ_WITH_EXTRA_WARNINGS",
}

# Turning one option off also turns off those that need it (Anjay Lite's init.h checks).
NEEDED_BY = {
    "ANJ_WITH_SECURITY": ["ANJ_NET_WITH_DTLS", "ANJ_WITH_CERTIFICATES",
                          "ANJ_WITH_EXTERNAL_CRYPTO_STORAGE", "ANJ_WITH_CRYPTO_STORAGE_DEFAULT",
                          "ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP", "ANJ_FOTA_WITH_COAPS",
                          "ANJ_FOTA_WITH_HTTPS", "ANJ_FOTA_WITH_COAPS_TCP"],
    "ANJ_NET_WITH_DTLS": ["ANJ_FOTA_WITH_COAPS", "ANJ_FOTA_WITH_HTTPS", "ANJ_FOTA_WITH_COAPS_TCP"],
    "ANJ_WITH_CERTIFICATES": ["ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP"],
    "ANJ_WITH_EXTERNAL_CRYPTO_STORAGE": ["ANJ_WITH_CRYPTO_STORAGE_DEFAULT"],
    "ANJ_WITH_OBSERVE": ["ANJ_WITH_OBSERVE_COMPOSITE", "ANJ_WITH_DISCOVER_ATTR",
                         "ANJ_WITH_RST_AS_CANCEL_OBSERVE",
                         "ANJ_OBSERVE_OBSERVATION_CANCEL_ON_TIMEOUT"],
    "ANJ_WITH_COMPOSITE_OPERATIONS": ["ANJ_WITH_OBSERVE_COMPOSITE"],
    "ANJ_WITH_LWM2M12": ["ANJ_WITH_LWM2M_CBOR"],
    "ANJ_WITH_BOOTSTRAP": ["ANJ_WITH_BOOTSTRAP_DISCOVER"],
    "ANJ_WITH_DISCOVER": ["ANJ_WITH_DISCOVER_ATTR", "ANJ_WITH_BOOTSTRAP_DISCOVER"],
    "ANJ_LOG_HANDLER_OUTPUT_STDERR": ["ANJ_LOG_FULL"],
    "ANJ_LOG_FULL": ["ANJ_LOG_FORMATTER_PRINTF", "ANJ_LOG_HANDLER_OUTPUT_STDERR"],
    "ANJ_FOTA_WITH_PULL_METHOD": ["ANJ_FOTA_WITH_COAP", "ANJ_FOTA_WITH_COAPS",
                                  "ANJ_FOTA_WITH_HTTP", "ANJ_FOTA_WITH_HTTPS",
                                  "ANJ_FOTA_WITH_COAP_TCP", "ANJ_FOTA_WITH_COAPS_TCP"],
}

# Kept on in the smallest configuration (Anjay Lite needs one of each pair).
MINIMAL_ON = {"ANJ_NET_WITH_UDP", "ANJ_WITH_SENML_CBOR"}

C_KEYWORDS = set("""auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof static struct switch
typedef union unsigned void volatile while _Bool _Complex _Imaginary __restrict __restrict__
__inline __inline__ __const __volatile__ __signed__ _Noreturn __extension__""".split())


def read_options(tree):
    """{name: (type, default)} from Anjay Lite's package file."""
    opts = {}
    text = open(os.path.join(tree, "cmake", "anjay_lite-config.cmake")).read()
    for m in re.finditer(r'define_overridable_option\(\s*(\w+)\s+(\w+)\s+("[^"]*"|\S+)', text):
        name, typ, default = m.group(1), m.group(2), m.group(3).strip('"')
        opts[name] = (typ, default)
    return opts


def bool_options(opts):
    return sorted(n for n, (t, _) in opts.items() if t == "BOOL")


def write_config(tree, opts, on, path):
    """anj_config.h from anj_config.h.in: BOOL options in `on` defined, valued options at
    their defaults (an empty default leaves the name undefined)."""
    src = open(os.path.join(tree, "include_public", "anj", "anj_config.h.in")).read()

    def repl(m):
        name, rest = m.group(1), m.group(2)
        typ, default = opts.get(name, ("BOOL", "OFF"))
        if typ == "BOOL":
            return ("#define %s" % name) if name in on else ("/* #undef %s */" % name)
        if default == "":
            return "/* #undef %s */" % name
        return "#define %s %s" % (name, rest.replace("@%s@" % name, default))

    out = re.sub(r"#cmakedefine (\w+)(.*)", repl, src)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(out)


TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|[A-Za-z_]\w*|\d[\w.]*|\.\.\.|->|[^\s\w]')


def strip_attributes(toks):
    out, i = [], 0
    while i < len(toks):
        if toks[i] in ("__attribute__", "__asm__", "__asm", "asm", "__declspec"):
            i += 1
            depth = 0
            while i < len(toks):
                if toks[i] == "(":
                    depth += 1
                elif toks[i] == ")":
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
                i += 1
            continue
        out.append(toks[i])
        i += 1
    return out


def split_declarations(toks):
    """Top-level declarations: token lists ending at `;`, or function definitions."""
    decls, cur, depth, i = [], [], 0, 0
    while i < len(toks):
        t = toks[i]
        if t in "([":
            depth += 1
        elif t in ")]":
            depth -= 1
        if t == "{" and depth == 0 and cur and cur[-1] == ")":
            # function definition: skip the body
            body = 1
            i += 1
            while i < len(toks) and body:
                if toks[i] == "{":
                    body += 1
                elif toks[i] == "}":
                    body -= 1
                i += 1
            decls.append(cur + [";"])
            cur = []
            continue
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
        cur.append(t)
        if t == ";" and depth == 0:
            decls.append(cur)
            cur = []
        i += 1
    return decls


def names_of_declaration(d, found):
    # enumerators and tags
    for i, t in enumerate(d):
        if t in ("struct", "union", "enum") and i + 1 < len(d):
            j = i + 1
            tag = d[j] if re.match(r"[A-Za-z_]", d[j]) else None
            if tag:
                j += 1
            if j < len(d) and d[j] == "{" and tag:
                found[tag] = {"struct": "struct", "union": "union", "enum": "enumtag"}[t]
            if t == "enum" and j < len(d) and d[j] == "{":
                k, depth, expect = j + 1, 0, True
                while k < len(d):
                    if d[k] in "({[":
                        depth += 1
                    elif d[k] in ")]":
                        depth -= 1
                    elif d[k] == "}":
                        if depth == 0:
                            break
                        depth -= 1
                    elif d[k] == "," and depth == 0:
                        expect = True
                        k += 1
                        continue
                    if expect and depth == 0 and re.match(r"[A-Za-z_]", d[k]):
                        found[d[k]] = "enum"
                    expect = False
                    k += 1
    # remove brace bodies
    flat, depth = [], 0
    for t in d:
        if t == "{":
            depth += 1
            continue
        if t == "}":
            depth -= 1
            continue
        if depth == 0:
            flat.append(t)
    is_typedef = bool(flat) and flat[0] == "typedef"
    depth = 0
    for i, t in enumerate(flat):
        if t in "([":
            depth += 1
            continue
        if t in ")]":
            depth -= 1
            continue
        if not re.match(r"[A-Za-z_]", t) or t in C_KEYWORDS:
            continue
        if i > 0 and flat[i - 1] in ("struct", "union", "enum"):
            continue
        nxt = flat[i + 1] if i + 1 < len(flat) else ";"
        if nxt == "(" and i + 2 < len(flat) and flat[i + 2] in ("*", "^"):
            continue  # a type before a declarator in parentheses
        if nxt in (")", "[", ",", ";", "=", "("):
            if is_typedef:
                found[t] = "type"
            elif nxt == "(" and depth == 0:
                found[t] = "func"
            else:
                found[t] = "var"
            return


def collect(tree, cfgdir, header):
    """{name: kind} visible after `#include <header>`, or None when it does not compile."""
    with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
        f.write("#include <%s>\n" % header)
        tu = f.name
    try:
        p = subprocess.run(["gcc", "-std=c99", "-E", "-dD", "-I", cfgdir,
                            "-I", os.path.join(tree, "include_public"), tu],
                           capture_output=True, text=True)
    finally:
        os.unlink(tu)
    if p.returncode != 0:
        return None
    ours = (os.path.abspath(os.path.join(tree, "include_public")), os.path.abspath(cfgdir))
    keep, macros, cur_ours = [], {}, False
    for line in p.stdout.splitlines():
        m = re.match(r'# \d+ "([^"]*)"', line)
        if m:
            cur_ours = os.path.abspath(m.group(1)).startswith(ours)
            continue
        if not cur_ours:
            continue
        m = re.match(r"#define (\w+)(\(?)(.*)", line)
        if m:
            name, body = m.group(1), m.group(3).strip()
            if name.endswith("_H") and body == "" and not m.group(2):
                continue  # include guard
            macros[name] = "macro"
            continue
        m = re.match(r"#undef (\w+)", line)
        if m:
            macros.pop(m.group(1), None)
            continue
        if line.startswith("#"):
            continue
        keep.append(line)
    toks = strip_attributes(TOKEN.findall("\n".join(keep)))
    found = {}
    for d in split_declarations(toks):
        names_of_declaration(d, found)
    found.update(macros)
    # Struct, union and enum tags are left out: anj-rs's generated types are tagged with
    # their typedef names, and Anjay Lite's tags include helper structs of its own macros.
    return {n: k for n, k in found.items()
            if k not in ("struct", "union", "enumtag")
            and not n.startswith("_") and not n.upper().startswith("ANJ_INTERNAL_")}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    tree = sys.argv[1]
    opts = read_options(tree)
    bools = bool_options(opts)
    all_on = {n for n in bools if n not in NEVER_ON}
    pub = os.path.join(tree, "include_public")
    headers = sorted(os.path.relpath(os.path.join(d, f), pub)
                     for d, _, fs in os.walk(os.path.join(pub, "anj"))
                     for f in fs if f.endswith(".h"))
    headers.append("anj/anj_config.h")
    with tempfile.TemporaryDirectory() as tmp:
        def run(on, tag):
            cfg = os.path.join(tmp, tag)
            write_config(tree, opts, on, os.path.join(cfg, "anj", "anj_config.h"))
            return {h: collect(tree, cfg, h) for h in headers}

        full = run(all_on, "all")
        for h in headers:
            if full[h] is None:
                sys.exit("%s does not compile with every option on" % h)
        depends = {h: {} for h in headers}
        for opt in sorted(all_on):
            off = {opt} | set(NEEDED_BY.get(opt, []))
            res = run(all_on - off, "off")
            for h in headers:
                if res[h] is None:
                    print("note: %s does not compile with %s off" % (h, opt), file=sys.stderr)
                    continue
                for n in full[h]:
                    if n not in res[h]:
                        depends[h].setdefault(n, []).append(opt)
        minimal = run(MINIMAL_ON, "min")
        os.makedirs(OUT, exist_ok=True)
        total = 0
        for h in headers:
            path = os.path.join(OUT, h + ".txt")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write("# Public names <%s> makes visible in Anjay Lite 3.0.0 with every option "
                        "on\n# (generated by tools/gen-header-names.py; kind name [options it "
                        "needs])\n" % h)
                for n in sorted(full[h]):
                    dep = depends[h].get(n)
                    if not dep and minimal[h] is not None and n not in minimal[h]:
                        dep = ["several"]
                    f.write("%s %s%s\n" % (full[h][n], n, (" " + ",".join(dep)) if dep else ""))
            total += len(full[h])
            print("%-40s %4d names (%d feature-dependent)"
                  % (h, len(full[h]),
                     sum(1 for n in full[h] if depends[h].get(n)
                         or (minimal[h] is not None and n not in minimal[h]))))
        print("total %d" % total)


if __name__ == "__main__":
    main()
