export declare function exec(...args: unknown[]): Promise<number>;
export declare function getExecOutput(...args: unknown[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
