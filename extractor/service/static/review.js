// Shared by every page: the reviewer name (kept in localStorage) and the upload form.
"use strict";
const nianbao = {
  reviewer() {
    const box = document.getElementById("reviewer");
    return (box && box.value.trim()) || "reviewer";
  },
  async api(method, url, body) {
    const opts = {method, headers: {"Accept": "application/json", "X-Reviewer": nianbao.reviewer()},
                  credentials: "same-origin"};
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(url, opts);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return {ok: res.ok, status: res.status, data};
  },
  errorText(data, status) {
    return (data && data.error && data.error.message) || ("request failed (" + status + ")");
  },
};

(function () {
  const box = document.getElementById("reviewer");
  if (box) {
    box.value = localStorage.getItem("nianbao.reviewer") || "";
    box.addEventListener("change", () => localStorage.setItem("nianbao.reviewer", box.value.trim()));
  }
  const form = document.getElementById("upload");
  if (form) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const status = document.getElementById("upload-status");
      status.textContent = "extracting…";
      const res = await fetch("/api/records", {method: "POST", body: new FormData(form),
                                               credentials: "same-origin"});
      let data = null;
      try { data = await res.json(); } catch (e) { data = null; }
      if (!res.ok) { status.textContent = nianbao.errorText(data, res.status); status.className = "flash error"; return; }
      window.location.href = data.url;
    });
  }
})();
