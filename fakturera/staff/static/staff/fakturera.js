/* The staff pages' few behaviours, without inline script (the Content-Security-Policy
   allows scripts from this site only). Each is named by a data attribute and listened
   for on the document, so fragments htmx swaps in work the same. */
(function () {
  "use strict";

  // On a narrow screen the menu folds behind its button (fakturera.css); without
  // JavaScript it stays open.
  document.documentElement.classList.add("js");

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
    fillLine(select.selectedOptions[0], select.closest(select.dataset.productFill));
  }

  function fillLine(option, scope) {
    if (!option || !option.dataset.value && !option.value || !scope) {
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

  // <button data-menu-toggle aria-controls="id">: open or fold the menu on a narrow screen.
  // <button data-confirm="question">: ask before it submits.
  // <button data-add-row data-template="id" data-rows="id" data-total="id">: a formset's new row.
  // <button data-close-dialog>: close the dialog it is in.  <button data-clear="selector">: empty
  // the closest element matching selector.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button, input[type=submit]");
    if (!button) {
      return;
    }
    if (button.hasAttribute("data-menu-toggle")) {
      var menu = document.getElementById(button.getAttribute("aria-controls"));
      var isOpen = menu.classList.toggle("open");
      button.setAttribute("aria-expanded", isOpen ? "true" : "false");
    } else if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
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

  // <span data-picker="url"> (staff/pickers.py): a hidden input with the chosen id and a text
  // input; typing asks url?q= for <li role="option" data-value data-label> and arrow keys,
  // Enter or a click choose one (data-picker-multiple: add one). With data-product-fill="form|tr" a chosen product fills
  // its line like the product select does.
  var pickerTimer = null;
  var pickerAsked = 0;

  function pickerParts(element) {
    var root = element.closest("[data-picker]");
    return root && {
      root: root,
      value: root.querySelector("[data-picker-value]"),
      text: root.querySelector("[data-picker-text]"),
      list: root.querySelector("[role=listbox]"),
    };
  }

  function pickerOptions(parts) {
    return Array.prototype.slice.call(parts.list.querySelectorAll("[role=option]"));
  }

  function pickerOpen(parts, isOpen) {
    parts.list.hidden = !isOpen;
    parts.text.setAttribute("aria-expanded", isOpen ? "true" : "false");
    if (!isOpen) {
      parts.text.removeAttribute("aria-activedescendant");
    }
  }

  function pickerActivate(parts, index) {
    var options = pickerOptions(parts);
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
      option.classList.toggle("active", i === index);
    });
    if (options[index]) {
      parts.text.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }
  }

  function pickerChoose(parts, option) {
    if (parts.root.dataset.pickerMultiple) {
      pickerAdd(parts, option);
      return;
    }
    parts.value.value = option.dataset.value;
    parts.text.value = option.dataset.label;
    pickerOpen(parts, false);
    if (parts.root.dataset.productFill) {
      fillLine(option, parts.root.closest(parts.root.dataset.productFill));
    }
    parts.value.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // data-picker-multiple="name": a chosen row becomes one more ticked box named name.
  function pickerAdd(parts, option) {
    var chosen = parts.root.querySelector("[data-picker-chosen]");
    var existing = Array.prototype.find.call(chosen.querySelectorAll("input"), function (box) {
      return box.value === option.dataset.value;
    });
    if (existing) {
      existing.checked = true;
    } else {
      var label = document.createElement("label");
      var box = document.createElement("input");
      label.className = "chip";
      box.type = "checkbox";
      box.name = parts.root.dataset.pickerMultiple;
      box.value = option.dataset.value;
      box.checked = true;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + option.dataset.label));
      chosen.appendChild(label);
    }
    parts.text.value = "";
    pickerOpen(parts, false);
  }

  function pickerSearch(parts) {
    var asked = ++pickerAsked;
    var url = parts.root.dataset.picker + "?q=" + encodeURIComponent(parts.text.value.trim());
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (asked !== pickerAsked || document.activeElement !== parts.text) {
          return;
        }
        parts.list.innerHTML = html;
        pickerOptions(parts).forEach(function (option, i) {
          option.id = (parts.list.id || "picker") + "-" + i;
        });
        pickerOpen(parts, parts.text.value.trim() !== "");
      });
  }

  document.addEventListener("input", function (event) {
    if (!event.target.matches("[data-picker-text]")) {
      return;
    }
    var parts = pickerParts(event.target);
    parts.value.value = "";
    window.clearTimeout(pickerTimer);
    pickerTimer = window.setTimeout(function () { pickerSearch(parts); }, 200);
  });

  document.addEventListener("keydown", function (event) {
    if (!event.target.matches("[data-picker-text]")) {
      return;
    }
    var parts = pickerParts(event.target);
    var options = pickerOptions(parts);
    var current = options.findIndex(function (option) { return option.classList.contains("active"); });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (parts.list.hidden) {
        if (parts.text.value.trim()) {
          pickerOpen(parts, true);
        }
        return;
      }
      var step = event.key === "ArrowDown" ? 1 : -1;
      pickerActivate(parts, Math.max(0, Math.min(options.length - 1, current + step)));
    } else if (event.key === "Enter" && !parts.list.hidden && options.length) {
      event.preventDefault();
      pickerChoose(parts, options[current >= 0 ? current : 0]);
    } else if (event.key === "Escape" && !parts.list.hidden) {
      event.preventDefault();
      pickerOpen(parts, false);
    }
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest("[data-picker] [role=option]");
    if (option) {
      event.preventDefault();
      pickerChoose(pickerParts(option), option);
    }
  });

  document.addEventListener("focusout", function (event) {
    if (event.target.matches("[data-picker-text]")) {
      pickerOpen(pickerParts(event.target), false);
    }
  });

  // <form data-confirm="question">: ask before it is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
