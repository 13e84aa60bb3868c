"""Every rule's examples, and what a broken rule file reports."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.examples import actual_output, example_cases
from pipeline.nlp import context
from pipeline.rules import RULES_DIR, RuleError, load_file, load_rules

CASES = list(example_cases(load_rules()))


@pytest.mark.parametrize("rule,example", CASES,
                         ids=[f"{r.file}:{r.id}:{i}" for i, (r, _) in enumerate(CASES)])
def test_rule_example(rule, example):
    assert actual_output(rule, example, context()) == example["out"]


def test_every_rule_has_examples_and_there_are_many():
    rules = load_rules()
    assert len(rules.all()) > 80
    assert all(r.examples for r in rules.all())


def _write(tmp_path: Path, body: str, name: str = "noise.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("body,rule_id,reason", [
    ('[[line]]\ncomment = "x"\npattern = "a"\nexamples = [{in = "a", out = ""}]\n', None, "needs an id"),
    ('[[line]]\nid = "bad_regex"\ncomment = "x"\npattern = "(a"\nexamples = [{in = "a"}]\n', "bad_regex", "does not compile"),
    ('[[line]]\nid = "nested"\ncomment = "x"\npattern = "(a+)+b"\nexamples = [{in = "a"}]\n', "nested", "nested quantifier"),
    ('[[line]]\nid = "numbered"\ncomment = "x"\npattern = \'\'\'(a)\\1\'\'\'\nexamples = [{in = "aa"}]\n', "numbered",
     "numbered back-reference"),
    ('[[line]]\nid = "no_examples"\ncomment = "x"\npattern = "a"\n', "no_examples", "missing 'examples'"),
    ('[[line]]\nid = "no_comment"\npattern = "a"\nexamples = [{in = "a"}]\n', "no_comment", "missing 'comment'"),
    ('[[line]]\nid = "unknown_part"\ncomment = "x"\npattern = "<<nope>>"\nexamples = [{in = "a"}]\n', "unknown_part", "unknown part"),
    ('[[line]\nid = 1\n', None, "not valid TOML"),
    ('[[line]]\nid = "typo"\ncomment = "x"\npattern = "a"\nexamples = [{in = "a"}]\nmax_line_char = 3\n', "typo",
     "unknown key 'max_line_char'"),
    ('[[lines]]\nid = "x"\ncomment = "x"\npattern = "a"\nexamples = [{in = "a"}]\n', None,
     "unknown table [[lines]] (did you mean 'line'?)"),
    ('[[tail]]\nid = "words"\ncomment = "x"\npattern = "a"\nexamples = [{in = "a"}]\nmax_line_chars = "40"\n', "words",
     "'max_line_chars' must be a number"),
    ('[[inline]]\nid = "entity"\ncomment = "x"\npattern = "&amp;"\ndecode = "HTML"\nexamples = [{in = "a"}]\n', "entity",
     "'decode' must be one of html, not 'HTML'"),
])
def test_bad_rule_file_names_file_rule_and_reason(tmp_path, body, rule_id, reason):
    with pytest.raises(RuleError) as err:
        load_file(_write(tmp_path, body))
    assert err.value.file == "noise.toml"
    assert err.value.rule_id == rule_id
    assert reason in err.value.reason


def test_an_assignment_that_requires_a_word_its_template_lacks_is_refused(tmp_path):
    body = ('[[assignment]]\nid = "inline.x"\ncomment = "x"\nrequires = "会同"\n'
            'template = \'\'\'(?P<lead><<dept>>)牵头\'\'\'\nexamples = [{in = "a", out = []}]\n')
    with pytest.raises(RuleError) as err:
        load_file(_write(tmp_path, body, "responsibility.toml"))
    assert (err.value.file, err.value.rule_id) == ("responsibility.toml", "inline.x")
    assert "'requires' must be a word the template itself writes out" in err.value.reason


def test_a_misspelt_key_says_what_it_may_have_meant(tmp_path):
    with pytest.raises(RuleError) as err:
        load_file(_write(tmp_path, '[[unit]]\nid = "u"\ncomment = "c"\nnmes = ["个"]\nexamples = [{in = "a"}]\n',
                         "targets.toml"))
    assert str(err.value).startswith("targets.toml: rule 'u': unknown key 'nmes' (did you mean 'names'?)")


def test_a_rule_file_no_stage_reads_is_an_error(tmp_path):
    with pytest.raises(RuleError) as err:
        load_file(_write(tmp_path, "", "target.toml"))
    assert "no stage reads a rule file named 'target.toml' (did you mean 'targets'?)" in str(err.value)


def test_rules_check_cli_reports_a_failing_example(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    noise = rules / "noise.toml"
    noise.write_text(noise.read_text(encoding="utf-8").replace(
        '{ in = "400-901-5099", out = "" }', '{ in = "400-901-5099", out = "400-901-5099" }'), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pipeline", "rules", "check", "--rules", str(rules)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "noise.toml: rule 'phone_banner'" in run.stderr
    assert "expected '400-901-5099', got ''" in run.stderr


def test_rules_check_cli_passes_on_the_shipped_rules():
    run = subprocess.run([sys.executable, "-m", "pipeline", "rules", "check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "rules ok" in run.stdout


@pytest.mark.parametrize("pattern, reason", [
    ("(?:a|a)+b", "alternatives overlap inside a repeat"),
    ("(?:ab|a)+c", "alternatives overlap inside a repeat"),
    ("(a{1,100}){1,100}b", "repeat nested in a repeat"),
    ("(?:\\\\w{1,50}){1,50}\\\\d", "repeat nested in a repeat"),
])
def test_patterns_that_backtrack_badly_are_refused_at_load(tmp_path, pattern, reason):
    body = f"[[line]]\nid = \"slow\"\ncomment = \"x\"\npattern = '''{pattern}'''\nexamples = [{{in = \"a\"}}]\n"
    with pytest.raises(RuleError) as err:
        load_file(_write(tmp_path, body))
    assert err.value.rule_id == "slow" and reason in err.value.reason


@pytest.mark.parametrize("pattern", ["(?:省|市)+", "\\\\d{1,3}(?:,\\\\d{3})*", "(?:\\\\p{Han}{1,8}、)+"])
def test_safe_repeats_are_accepted(tmp_path, pattern):
    body = f"[[line]]\nid = \"fine\"\ncomment = \"x\"\npattern = '''{pattern}'''\nexamples = [{{in = \"a\"}}]\n"
    assert load_file(_write(tmp_path, body))[0]["line"][0].id == "fine"


def test_every_pattern_field_is_checked_at_load(tmp_path):
    body = ('[[exclude]]\nid = "ex"\ncomment = "x"\nleft = \'\'\'(?:a|a)+\'\'\'\nexamples = [{in = "a"}]\n')
    with pytest.raises(RuleError) as err:
        load_file(_write(tmp_path, body, "targets.toml"))
    assert err.value.rule_id == "ex" and "alternatives overlap" in err.value.reason
