"""A sweep option's values as written: a comma list on the command line (';' where one value is itself a list), or a TOML value.

Each element is parsed as the config field it sets; a bad one is one line naming the option and the element.
"""

from __future__ import annotations

from typing import Any

from parity.config import FIELDS, INT_LISTS, ConfigError, coerce, flag_of

# Options whose one value is itself a comma list (a support, save steps, phases): on the command
# line a sweep separates their values by ';', e.g. --support "0,1,2;3,4,5".
SEMICOLON_LISTS = {  # option -> an example list of two values
    "support": "0,1,2;3,4,5",
    "save_steps": "0,1000;0,500,1000",
    "phases": "1024:500,online;4096:500,online",
}
# Teacher SPECs are a comma list as issue 5 spells it (--teacher-step 1000,4000,final,progressive);
# a staged SPEC keeps its commas: 'STEP:UNTIL' elements join the elements that follow them up to
# the closing stage, so '4000:20000,final,progressive' is two SPECs. ';' also separates SPECs.
STAGED = "teacher_step"


def parse_list(name: str, text: str) -> list[Any]:
    """`--d 20,30,40` -> [20, 30, 40]; an empty list or element names the option and the element."""
    sep = ";" if name in SEMICOLON_LISTS else ","
    flag = flag_of(name)
    if str(text).strip() == "":
        raise ConfigError(f"{flag} {text!r}: empty list; expected values separated by '{sep}', e.g. {_example(name)}")
    elements = split_specs(str(text)) if name == STAGED else str(text).split(sep)
    if any(e.strip() == "" for e in elements):
        raise ConfigError(f"{flag} {text!r}: empty element; expected values separated by '{sep}', e.g. {_example(name)}")
    return [coerce_element(name, e.strip(), text) for e in elements]


def split_specs(text: str) -> list[str]:
    """'1000,4000:20000,final,progressive' -> ['1000', '4000:20000,final', 'progressive']."""
    specs: list[str] = []
    for chunk in text.split(";"):
        stage: list[str] = []
        for element in chunk.split(","):
            stage.append(element)
            if ":" not in element:  # a plain SPEC, or the closing stage of a staged one
                specs.append(",".join(stage))
                stage = []
        if stage:  # a staged SPEC with no closing stage: the SPEC parser says what is missing
            specs.append(",".join(stage))
    return specs


def coerce_element(name: str, value: Any, whole: Any) -> Any:
    try:
        return coerce(name, value)
    except ConfigError as err:
        reason = str(err).split(": ", 1)[-1]
        raise ConfigError(f"{flag_of(name)} {whole}: element {value!r}: {reason}") from None


def _example(name: str) -> str:
    default = FIELDS[name].default
    if name in SEMICOLON_LISTS:
        return SEMICOLON_LISTS[name]
    if name == STAGED:
        return "1000,4000:20000,final,progressive"
    if default is None:  # the teacher run
        return "runs/t1,runs/t2"
    if isinstance(default, bool):
        return "true,false"
    if FIELDS[name].metadata["choices"]:
        return ",".join(FIELDS[name].metadata["choices"][:2])
    return f"{default},{default * 2}"


def file_values(name: str, value: Any, where: str) -> list[Any]:
    """A TOML value: an array is a list of values, anything else one value."""
    if name in INT_LISTS:  # a support is an array: a list of supports is an array of arrays
        is_list = isinstance(value, list) and bool(value) and all(isinstance(v, list) for v in value)
    else:
        is_list = isinstance(value, list)
    if not is_list:
        return [coerce_element(name, value, value)]
    if not value:
        raise ConfigError(f"{where}: {name} = []: empty list")
    return [coerce_element(name, v, value) for v in value]
