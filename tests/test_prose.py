"""Deterministic prose figures: exact phrasings read with their span, conflicts and approximations
left null with a note, never a guess."""
from __future__ import annotations

import pytest

from extractor.read.prose import prose_figures


def test_figures_are_read_with_the_span_of_their_digits():
    text = "全年主动公开政府信息1,776条。全年办理人大代表建议15件、政协提案40件。本年度未收取任何信息处理费。"
    found, notes = prose_figures(text)
    assert {k: v for k, (v, _) in found.items()} == {
        "proactive_total": 1776, "npc_suggestions": 15, "cppcc_proposals": 40, "fee_collected_yuan": 0}
    for value, span in found.values():
        assert text[span.start:span.end] == span.text
    assert found["fee_collected_yuan"][1].text.startswith("未收取")
    assert notes == []


def test_two_different_figures_for_one_field_are_a_conflict():
    found, notes = prose_figures("主动公开政府信息120条。……主动公开政府信息130条。")
    assert "proactive_total" not in found
    assert [n.rule for n in notes] == ["reader.prose_conflict"]
    assert "120" in notes[0].message and "130" in notes[0].message


def test_an_approximate_figure_is_not_read():
    found, notes = prose_figures("全年主动公开政府信息约500条。")
    assert found == {}
    assert [n.rule for n in notes] == ["reader.approximate"]


def test_counts_of_information_items_are_not_suggestions_handled():
    found, _ = prose_figures("公开人大代表建议、政协委员提案办理情况相关信息70条。")
    assert "npc_suggestions" not in found and "cppcc_proposals" not in found


def test_a_cumulative_figure_is_not_the_years_figure():
    from extractor.read.prose import prose_figures

    text = "2017年度，主动公开政府信息733条。历年累计主动公开政府信息2027条。"
    found, notes = prose_figures(text)
    assert found["proactive_total"][0] == 733 and not notes
    # the year's own totals, however they are worded, still count
    for same_year in ("全年累计主动公开政府信息733条。", "今年以来，主动公开政府信息733条。"):
        assert prose_figures(same_year)[0]["proactive_total"][0] == 733


def test_a_category_of_proactive_information_is_not_the_total():
    text = "2024年，主动公开政府信息310条，重大建设项目类信息279条。其他应主动公开的政府信息13条。"
    found, notes = prose_figures(text)
    assert found["proactive_total"][0] == 310 and not notes


def test_the_agency_comes_from_a_title_behind_a_crawler_key():
    from extractor.locate.meta import find_agency

    text = ("标题: 平潭综合实验区管委会办公室2022年度政府信息公开工作年度报告\n发布时间: 2023-01-19\n"
            "发布机构: 平潭综合实验区人民政府\n正文……")
    name, start, end = find_agency(text)
    assert name == "平潭综合实验区管委会办公室" and text[start:end] == name


@pytest.mark.parametrize("sentence, field, value", [
    ("2023年，我区在政府网站平台主动发布各类政府信息 1893 条。", "proactive_total", 1893),
    ("本局通过政府信息公开网站主动公开政府信息312篇，其中规划计划2篇。", "proactive_total", 312),
    ("全年收取政府信息公开信息处理费 0 元。", "fee_collected_yuan", 0),
    ("全年收取政府信息公开信息处理费 1250 元。", "fee_collected_yuan", 1250),
    ("本年度没有需要收费的信息公开申请件,故无实际收费。", "fee_collected_yuan", 0),
    ("共收到区十八届人大五次会议3项建议，政协十届五次会议12项提案，均按时办结。", "npc_suggestions", 3),
    ("共收到区十八届人大五次会议3项建议，政协十届五次会议12项提案，均按时办结。", "cppcc_proposals", 12),
])
def test_common_phrasings_of_the_prose_figures(sentence, field, value):
    found, notes = prose_figures(sentence)
    assert found[field][0] == value and not notes


@pytest.mark.parametrize("sentence, field", [
    ("开设“减税降费”专栏，发布政策5条。", "fee_collected_yuan"),
    ("本年度制发规范性文件34件。", "proactive_total"),
    ("人大常委会第3次会议审议。", "npc_suggestions"),
])
def test_other_sentences_do_not_state_the_prose_figures(sentence, field):
    assert field not in prose_figures(sentence)[0]


def test_the_agency_is_not_taken_from_page_chrome_or_a_cited_document():
    from extractor.locate.meta import find_agency

    crumbs = "首页 > 政务公开 > 某某市某某区应急管理局2023年政府信息公开工作年度报告\n正文"
    assert find_agency(crumbs)[0] == "某某市某某区应急管理局"
    cited = ("根据《某某省人民政府办公厅关于做好政府信息公开工作的通知》要求，某某县交通运输局"
             "认真做好政府信息公开工作。")
    assert find_agency(cited)[0] == "某某县交通运输局"
    chained = "平潭综合实验区管委会办公室认真落实《条例》，做好政府信息公开工作。"
    assert find_agency(chained)[0] == "平潭综合实验区管委会办公室"
    chrome = "\n".join(["网站首页", "政务公开", "信息公开目录", "政策文件"] * 5 + ["某某县统计局2022年政府信息公开工作年度报告"])
    assert find_agency(chrome)[0] == "某某县统计局"
