// Vulnerability scan reports of versions, read by the policy gate.

/** A version's scan report, normalized by the policy module (which owns the shape of `report`). */
export interface ScanReportRecord {
  service: string;
  version: string;
  /** 'trivy' | 'grype' | 'npm-audit' */
  format: string;
  /** Of the bytes uploaded. */
  sha256: string;
  sizeBytes: number;
  /** JSON: the findings as the policy module normalized them. */
  report: unknown;
  uploadedBy: string | null;
  uploadedAt: string;
}

export interface ScanReportRepo {
  /** Stores the version's report, replacing an earlier one (replaced: true). */
  put(r: Omit<ScanReportRecord, 'uploadedAt'>): Promise<{ record: ScanReportRecord; replaced: boolean }>;
  get(service: string, version: string): Promise<ScanReportRecord | undefined>;
}
