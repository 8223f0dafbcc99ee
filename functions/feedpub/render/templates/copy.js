document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (!field) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    field.focus();
    field.select();
    var selected = function () { button.textContent = "Selected: press Ctrl+C"; };
    if (!navigator.clipboard || !navigator.clipboard.writeText) { selected(); return; }
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 2000);
    }, selected);
  });
});
