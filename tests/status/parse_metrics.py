#!/usr/bin/python3
"""Parses a Prometheus text exposition (a file, or a URL to scrape) with prometheus_client's
own parser and prints one JSON object: "name{label=value,...}" (labels sorted) -> value, and
"#type name" -> the family's type. Exits 1 with the parser's message on a parse error."""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main(source):
    if source.startswith("http://"):
        with urllib.request.urlopen(source, timeout=10) as response:
            text = response.read().decode("utf-8")
    else:
        with open(source, encoding="utf-8") as file:
            text = file.read()
    result = {}
    try:
        for family in text_string_to_metric_families(text):
            result["#type " + family.name] = family.type
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                result[f"{sample.name}{{{labels}}}"] = sample.value
    except Exception as error:  # the parser raises ValueError and friends
        print(f"{source}: not a valid exposition: {error}")
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
