#!/usr/bin/python3
"""Validates the status page with a real HTML5 parser (html5lib, strict: any parse error
fails) and checks what a strict Content-Security-Policy needs: no script, no style attribute,
no resource outside the page. Prints the problems and exits 1, or exits 0."""
import sys

import html5lib

NS = "{http://www.w3.org/1999/xhtml}"


def main(path):
    with open(path, "rb") as page:
        data = page.read()
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True)
    try:
        document = parser.parse(data)
    except html5lib.html5parser.ParseError as error:
        print(f"{path}: HTML parse error: {error}; errors: {parser.errors}")
        return 1
    problems = []
    styles = 0
    for element in document.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        local = tag.split("}")[-1]
        if local == "script":
            problems.append("a <script> element")
        if local == "style":
            styles += 1
        for name, value in element.attrib.items():
            name = name.split("}")[-1]
            if name == "style" or name.startswith("on"):
                problems.append(f"attribute {name} on <{local}>")
            if name in ("src", "srcset", "action", "data", "poster"):
                problems.append(f"attribute {name}={value!r} on <{local}>")
            if name in ("href", "xlink:href") and not value.startswith("#"):
                problems.append(f"link {value!r} leaves the page")
    if styles != 1:
        problems.append(f"{styles} <style> elements (the CSP allows one, by its hash)")
    for problem in problems:
        print(f"{path}: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
