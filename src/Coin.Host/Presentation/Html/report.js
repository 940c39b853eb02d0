// The browser of answers in report.html: its data is the JSON in #coin-predictions (each sample once, each stage as
// [sample, answer, score] rows); everything else on the page is static HTML.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('coin-predictions').textContent);
  var pageSize = 50;
  var shown = pageSize;
  var stage = document.getElementById('filter-stage');
  var task = document.getElementById('filter-task');
  var verdictFilter = document.getElementById('filter-verdict');
  var text = document.getElementById('filter-text');
  var list = document.getElementById('prediction-list');
  var count = document.getElementById('prediction-count');
  var more = document.getElementById('prediction-more');

  function option(select, value, label) {
    var o = document.createElement('option');
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }
  data.stages.forEach(function (s) { option(stage, s, s); });
  stage.value = data.stages.length ? data.stages[data.stages.length - 1] : '';
  option(task, '', 'all');
  data.tasks.forEach(function (t) { option(task, t, t); });

  function verdict(score) {
    if (score === null || score === undefined) return 'unscored';
    if (score >= 100) return 'right';
    if (score <= 0) return 'wrong';
    return 'partial';
  }

  function element(tag, className, content) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (content !== undefined) e.textContent = content;
    return e;
  }

  function mediaElement(m) {
    if (m.kind === 'image' && m.src) { var img = element('img'); img.src = m.src; img.alt = m.label; img.title = m.label; return img; }
    if (m.kind === 'audio' && m.src) { var audio = element('audio'); audio.controls = true; audio.src = m.src; audio.title = m.label; return audio; }
    return element('span', 'missing', m.label);
  }

  function card(row) {
    var sample = data.samples[row[0]];
    var v = verdict(row[2]);
    var div = element('div', 'answer ' + v);
    var media = element('div', 'media');
    sample.inputs.forEach(function (i) { media.appendChild(mediaElement(data.media[i])); });
    div.appendChild(media);
    var right = element('div');
    var title = element('div', null, sample.task + ' · ' + sample.id);
    title.appendChild(element('span', 'badge', row[2] === null || row[2] === undefined ? 'unscored' : v + ' (' + row[2].toFixed(0) + ')'));
    right.appendChild(title);
    right.appendChild(element('div', 'question', sample.question));
    var fields = element('div', 'fields');
    fields.appendChild(element('span', null, 'reference'));
    fields.appendChild(element('span', 'reference', sample.answer));
    fields.appendChild(element('span', null, 'answer'));
    fields.appendChild(element('span', 'prediction', row[1]));
    right.appendChild(fields);
    div.appendChild(right);
    return div;
  }

  function render() {
    var rows = data.predictions[stage.value] || [];
    var needle = text.value.trim().toLowerCase();
    var selected = rows.filter(function (row) {
      var sample = data.samples[row[0]];
      if (task.value && sample.task !== task.value) return false;
      if (verdictFilter.value && verdict(row[2]) !== verdictFilter.value) return false;
      return !needle || [sample.question, sample.answer, row[1]].some(function (s) { return (s || '').toLowerCase().indexOf(needle) >= 0; });
    });
    list.textContent = '';
    selected.slice(0, shown).forEach(function (row) { list.appendChild(card(row)); });
    var scored = selected.filter(function (row) { return verdict(row[2]) !== 'unscored'; });
    var right = scored.filter(function (row) { return verdict(row[2]) === 'right'; }).length;
    count.textContent = selected.length + ' of ' + rows.length + ' answers' + (scored.length ? ', ' + right + ' right' : '');
    more.hidden = selected.length <= shown;
  }

  function restart() { shown = pageSize; render(); }
  [stage, task, verdictFilter].forEach(function (s) { s.addEventListener('change', restart); });
  text.addEventListener('input', restart);
  more.addEventListener('click', function () { shown += pageSize; render(); });
  render();
  document.body.setAttribute('data-ready', 'true');
})();
