/* The staff pages' few behaviours, without inline script (the Content-Security-Policy
   allows scripts from this site only). Each is named by a data attribute and listened
   for on the document, so fragments htmx swaps in work the same. */
(function () {
  "use strict";

  // <select data-autosubmit>: submit its form when the choice changes.
  // <input type="checkbox" data-check-all="selector">: tick or clear every box matching selector.
  // <select data-product-fill="form|tr">: fill the line's fields from the chosen product's data-*.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    } else if (target.matches("input[data-check-all]")) {
      document.querySelectorAll(target.dataset.checkAll).forEach(function (box) {
        box.checked = target.checked;
      });
    } else if (target.matches("select[data-product-fill]")) {
      fillFromProduct(target);
    }
  });

  function fillFromProduct(select) {
    var option = select.selectedOptions[0];
    var scope = select.closest(select.dataset.productFill);
    if (!option || !option.value || !scope) {
      return;
    }
    var values = {
      description: option.dataset.description,
      unit_price: option.dataset.price,
      vat: option.dataset.vat,
      unit: option.dataset.unit,
    };
    Object.keys(values).forEach(function (name) {
      var field = scope.querySelector('[name="' + name + '"], [name$="-' + name + '"]');
      if (field) {
        field.value = values[name];
      }
    });
  }

  // <button data-confirm="question">: ask before it submits.
  // <button data-add-row data-template="id" data-rows="id" data-total="id">: a formset's new row.
  // <button data-close-dialog>: close the dialog it is in.  <button data-clear="selector">: empty
  // the closest element matching selector.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button, input[type=submit]");
    if (!button) {
      return;
    }
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    } else if (button.hasAttribute("data-add-row")) {
      addRow(button);
    } else if (button.hasAttribute("data-close-dialog")) {
      button.closest("dialog").close();
    } else if (button.dataset.clear) {
      button.closest(button.dataset.clear).innerHTML = "";
    }
  });

  function addRow(button) {
    var total = document.getElementById(button.dataset.total);
    var html = document.getElementById(button.dataset.template).innerHTML.replace(/__prefix__/g, total.value);
    document.getElementById(button.dataset.rows).insertAdjacentHTML("beforeend", html);
    total.value = Number(total.value) + 1;
  }

  // <form data-confirm="question">: ask before it is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
