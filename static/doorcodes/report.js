// The invalid-code page: locate the phone and report where the suspect code hangs.
// The messages come translated on the button's data attributes.
document.getElementById("btn-report").addEventListener("click", function () {
  var button = this;
  var status = document.getElementById("report-status");
  if (!navigator.geolocation) { status.textContent = button.dataset.unsupported; return; }
  status.textContent = button.dataset.locating;
  navigator.geolocation.getCurrentPosition(function (pos) {
    document.getElementById("lat").value = pos.coords.latitude;
    document.getElementById("lng").value = pos.coords.longitude;
    document.getElementById("report-form").submit();
  }, function () { status.textContent = button.dataset.failed; }, {timeout: 10000});
});
