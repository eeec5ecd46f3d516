// Fill the place's coordinates from the phone's GPS when the officer allows it.
(function () {
  var button = document.getElementById("locate");
  if (!button) return;
  var status = document.getElementById("locate-status");
  function locate() {
    if (!navigator.geolocation) { status.textContent = "此设备不支持定位"; return; }
    status.textContent = "定位中…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("lng").value = pos.coords.longitude.toFixed(6);
      status.textContent = pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5) +
        " (±" + Math.round(pos.coords.accuracy) + " m)";
    }, function (err) { status.textContent = "未获得定位：" + err.message; },
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }
  button.addEventListener("click", locate);
  if (navigator.permissions) {
    navigator.permissions.query({ name: "geolocation" }).then(function (p) {
      if (p.state === "granted") locate();
    }).catch(function () {});
  }
})();
