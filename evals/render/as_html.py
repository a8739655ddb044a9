"""The web page layout: a real <table> with spans and inline styles."""
from __future__ import annotations

import html as html_lib
import random

from evals.render.builder import Block

_TD_STYLE = ("border:1px solid #000;padding:2px 4px;font-size:10.5pt;font-family:宋体;"
             "text-align:center;vertical-align:middle")


def render_html(blocks: list[Block], rng: random.Random, charset: str = "utf-8",
                layout_table: bool = False, in_script: bool = False) -> str:
    esc = html_lib.escape
    out = ['<!DOCTYPE html>', f'<html lang="zh-CN"><head><meta http-equiv="Content-Type" '
           f'content="text/html; charset={charset}">',
           f"<title>{esc(blocks[0].text)}</title>",
           '<script type="text/javascript">var _hmt = _hmt || []; var tpl = "<table><tr><td>'
           '一、本年新收政府信息公开申请数量</td><td>999</td></tr></table>"; '
           'document.addEventListener("DOMContentLoaded", function () { /* 统计 */ });</script>',
           '<style>.article p{text-indent:2em;line-height:1.8}</style></head>',
           '<body><div class="header">首页 &gt; 政务公开 &gt; 政府信息公开年报</div>',
           '<div class="article">']
    head = out
    if in_script:  # the CMS writes the article from a JavaScript string after loading
        out = []
    if layout_table:  # old CMS pages lay the page out with a table around the article
        out.append('<table width="1000" align="center" border="0"><tr><td width="200" valign="top">'
                   '<a href="/">首页</a><br/><a href="/zwgk/">政务公开</a></td><td valign="top">')
    for b in blocks:
        if b.kind == "title":
            out.append(f'<h1 style="text-align:center;font-size:18pt">{esc(b.text)}</h1>')
        elif b.kind == "heading":
            out.append(f'<p style="font-weight:bold"><strong>{esc(b.text)}</strong></p>')
        elif b.kind == "para":
            out.append(f'<p style="text-indent:2em"><span style="font-family:仿宋">{esc(b.text)}</span></p>')
        else:
            out.append('<table border="1" cellspacing="0" cellpadding="0" '
                       'style="border-collapse:collapse;width:100%;margin:0 auto"><tbody>')
            for row in b.rows:
                out.append('<tr style="height:24px">')
                for cell in row:
                    attrs = ""
                    if cell.rowspan > 1:
                        attrs += f' rowspan="{cell.rowspan}"'
                    if cell.colspan > 1:
                        attrs += f' colspan="{cell.colspan}"'
                    text = "<br/>".join(esc(part) for part in cell.text.split("\n"))
                    if not text and rng.random() < 0.5:
                        text = "&nbsp;"
                    out.append(f'<td{attrs} style="{_TD_STYLE}"><p style="margin:0">'
                               f'<span style="font-size:10pt">{text}</span></p></td>')
                out.append("</tr>")
            out.append("</tbody></table>")
    if layout_table:
        out.append("</td></tr></table>")
    if in_script:
        head.append('<div id="zoom"></div><script type="text/javascript">var content = ""')
        head.extend(f'  + "{_js_string(part)}"' for part in out)
        head.append(';\ndocument.getElementById("zoom").innerHTML = content;</script>')
        out = head
    out.append('</div><div class="footer">主办单位：本机关 版权所有</div></body></html>')
    return "\n".join(out)


def _js_string(markup: str) -> str:
    """``markup`` as the inside of a double-quoted JavaScript string, the way CMS templates print
    it: quotes and backslashes escaped, ``</`` as ``<\\/``, some characters as ``\\uXXXX``."""
    text = markup.replace("\\", "\\\\").replace('"', '\\"').replace("</", "<\\/").replace("\n", "\\n")
    return text.replace("、", "\\u3001").replace("（", "\\uff08")
