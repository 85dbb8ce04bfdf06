// Show only the fields that matter for the chosen kind of organization; the server validates all of them anyway.
(function () {
  var FIELDS = {
    level: ["authority"],
    parent: ["authority"],
    domain: ["department"],
    competent_authority: ["enterprise", "park", "department", "assessor"],
    legal_representative: ["enterprise", "park", "assessor"],
  };
  function update() {
    var kind = document.getElementById("id_kind").value;
    Object.keys(FIELDS).forEach(function (name) {
      var row = document.querySelector('[data-field="' + name + '"]');
      if (row) row.hidden = kind !== "" && FIELDS[name].indexOf(kind) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("id_kind");
    if (!select) return;
    select.addEventListener("change", update);
    update();
  });
})();
