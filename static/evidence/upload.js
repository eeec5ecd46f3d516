// Phone upload form for evidence: the picker follows the chosen kind (camera or files), the device ID is
// remembered on this phone, and the position is attached when the officer allows it.
// Delegated on document because htmx swaps the section in after the page loads.
(function () {
  var KEY = "nuanxin.evidence.device";
  function byId(id) { return document.getElementById(id); }
  function restoreDevice() {
    var input = byId("evidence-device");
    if (input && !input.value) input.value = localStorage.getItem(KEY) || "";
  }
  function locate() {
    var status = byId("evidence-locate-status");
    if (!navigator.geolocation || !byId("evidence-lat")) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      byId("evidence-lat").value = pos.coords.latitude.toFixed(6);
      byId("evidence-lng").value = pos.coords.longitude.toFixed(6);
      byId("evidence-accuracy").value = Math.round(pos.coords.accuracy);
      if (status) status.textContent = pos.coords.latitude.toFixed(5) + ", " +
        pos.coords.longitude.toFixed(5) + " (±" + Math.round(pos.coords.accuracy) + " m)";
    }, function () {}, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "evidence-kind") {
      var option = target.options[target.selectedIndex];
      var accept = option.getAttribute("data-accept");
      var picker = byId("evidence-file");
      picker.setAttribute("accept", accept);
      // The camera for photos, videos and sound; the phone's files for a PDF.
      if (accept === "application/pdf") picker.removeAttribute("capture");
      else picker.setAttribute("capture", "environment");
    } else if (target.id === "evidence-device") {
      localStorage.setItem(KEY, target.value);
    } else if (target.id === "evidence-file") {
      locate();
    }
  });
  document.addEventListener("htmx:afterSwap", restoreDevice);
  document.addEventListener("DOMContentLoaded", restoreDevice);
})();
