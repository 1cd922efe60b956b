import type { ModemInfo } from '@krypton-web/sim-transport';
import type { ModemSummary } from '../api.ts';

/** The modem's answers in the page's terms: one signal figure, one registration word. */
export function summary(info: ModemInfo, csim: boolean): ModemSummary {
  const out: ModemSummary = { csim };
  if (info.manufacturer) out.manufacturer = info.manufacturer;
  if (info.model) out.model = info.model;
  if (info.firmware) out.firmware = info.firmware;
  if (info.imei) out.imei = info.imei;
  const hcsq = info.signal?.hcsq;
  const dbm = hcsq?.rsrpDbm ?? hcsq?.rscpDbm ?? hcsq?.rssiDbm ?? info.signal?.csq?.rssiDbm;
  if (dbm !== undefined) {
    out.signalDbm = dbm;
    out.signalBars = bars(dbm, hcsq?.rsrpDbm !== undefined);
  }
  const act = hcsq?.mode ?? technology(info.registration?.accessTechnology ?? info.operator?.accessTechnology);
  if (act) out.technology = act;
  const status = info.registration?.status;
  if (status) {
    out.registration =
      status === 'registered-home'
        ? 'home'
        : status === 'registered-roaming'
          ? 'roaming'
          : status === 'searching'
            ? 'searching'
            : status === 'denied'
              ? 'denied'
              : status === 'not-registered'
                ? 'not-registered'
                : 'unknown';
  }
  if (info.operator?.name) out.operator = info.operator.name;
  return out;
}

function bars(dbm: number, rsrp: boolean): number {
  // RSRP (LTE) runs about 20 dB below RSSI for the same coverage.
  const steps = rsrp ? [-115, -105, -95, -85] : [-105, -95, -85, -75];
  return steps.filter((s) => dbm >= s).length;
}

function technology(act: number | undefined): string | undefined {
  if (act === undefined) return undefined;
  if (act === 7) return 'LTE';
  if (act === 0 || act === 1 || act === 3) return 'GSM';
  if (act >= 2 && act <= 6) return 'WCDMA';
  if (act === 9) return 'NB-IoT';
  if (act === 8) return 'LTE-M';
  return undefined;
}
