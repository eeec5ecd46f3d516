// Slip preview (the exact bitmap a font-less printer gets) and Web Bluetooth printing.
(function () {
  var preview = document.getElementById("print-preview");
  if (preview) {
    preview.addEventListener("click", function () {
      var box = document.getElementById("slip-preview");
      var img = box.querySelector("img");
      if (!img.src) img.src = img.dataset.src;
      box.hidden = false;
      img.addEventListener("load", function () { window.print(); }, { once: true });
    });
  }
  var bt = document.getElementById("bt-print");
  if (!bt) return;
  var status = document.getElementById("bt-status");
  if (!navigator.bluetooth) { bt.disabled = true; bt.title = "此浏览器不支持蓝牙打印，请使用执法终端应用"; return; }
  // Most BLE thermal printers expose a write characteristic under one of these services.
  var SERVICES = [0x18f0, 0xff00, 0xffe0, "e7810a71-73ae-499d-8c15-faa9aef0c3f2"];
  bt.addEventListener("click", async function () {
    try {
      var data = new Uint8Array(await (await fetch(bt.dataset.escpos, { credentials: "same-origin" })).arrayBuffer());
      var device = await navigator.bluetooth.requestDevice({ acceptAllDevices: true, optionalServices: SERVICES });
      var server = await device.gatt.connect();
      var target = null;
      for (var s of await server.getPrimaryServices()) {
        for (var c of await s.getCharacteristics()) {
          if (c.properties.write || c.properties.writeWithoutResponse) { target = c; break; }
        }
        if (target) break;
      }
      if (!target) throw new Error("未找到打印特征值");
      for (var i = 0; i < data.length; i += 180) {
        await target.writeValueWithoutResponse(data.slice(i, i + 180));
      }
      status.textContent = "已发送到打印机";
    } catch (e) { status.textContent = "打印失败：" + e.message; }
  });
})();
