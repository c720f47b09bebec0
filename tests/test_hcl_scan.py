"""The heredoc-aware line scan that the plan summaries and the cost inventory share."""

from dsaas_infra.hcl_scan import code_lines


def test_heredoc_bodies_and_markers_are_skipped_openers_kept():
    text = (
        'resource "a" "b" {\n'
        "  policy = <<-EOT\n"
        'resource "not" "real" {\n'
        "    EOT\n"
        '  name = "x"\n'
        "}\n"
    )
    assert list(code_lines(text)) == ['resource "a" "b" {', "  policy = <<-EOT", '  name = "x"', "}"]


def test_a_marker_word_inside_the_body_does_not_end_it_early():
    text = "x = <<EOF\nnot EOF here\nEOF\ny = 1\n"
    assert list(code_lines(text)) == ["x = <<EOF", "y = 1"]
