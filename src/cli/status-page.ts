/** The live status page of `farebox up --no-schedule` (without the scheduler there are no dashboards). The token travels in the URL fragment. */
export const statusPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>farebox</title>
<style>
 body{font:15px system-ui,sans-serif;margin:2rem;color:#1b1f24}
 table{border-collapse:collapse;margin-top:1rem} td,th{padding:.4rem .9rem;border-bottom:1px solid #ddd;text-align:right}
 th:first-child,td:first-child{text-align:left} .muted{color:#667}
</style></head>
<body><h1>farebox</h1><p class="muted">Embedded pipeline status, refreshed every second. The dashboards come with the scheduler: run farebox up without --no-schedule.</p>
<table><thead><tr><th>event type</th><th>produced</th><th>loaded</th><th>dead-lettered</th><th>lag</th></tr></thead>
<tbody id="rows"><tr><td colspan="5">loading…</td></tr></tbody></table>
<script>
const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
const fmt = (n) => Number(n).toLocaleString('en-US');
async function refresh() {
  const r = await fetch('/v1/status', { headers: { authorization: 'Bearer ' + token } });
  if (!r.ok) { document.getElementById('rows').innerHTML = '<tr><td colspan="5">' + r.status + ': open the URL farebox printed (it carries the token)</td></tr>'; return; }
  const s = await r.json();
  document.getElementById('rows').innerHTML = s.types.map((t) =>
    '<tr><td>' + t.type + '</td><td>' + fmt(t.produced) + '</td><td>' + fmt(t.loaded) + '</td><td>' + fmt(t.deadLettered) + '</td><td>' + fmt(t.lag) + '</td></tr>').join('');
}
refresh(); setInterval(refresh, 1000);
</script></body></html>`;
